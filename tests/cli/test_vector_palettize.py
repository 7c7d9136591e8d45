#!/usr/bin/env python3
"""End-to-end tests of vector palettization (cluster_dim > 1), LUT quantization (lut_qspec) and
sensitivities through `kmlut palettize`: the output is read back by an independent numpy decoder
written from docs/format.md (W[i·d + j, c] = LUT[idx[i, c]][j]; a quantized LUT is (q − zero_point)
· lut_scale in float32, rounded to the weight's dtype) and compared with the report, `kmlut decode`
and `kmlut verify`; thread counts and seeds; sensitivity files that do not match.

Usage: test_vector_palettize.py KMLUT_BINARY WORK_DIR
"""
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_numpy import as_float64, read_safetensors, round_to  # noqa: E402
from checks import FAILURES, check  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = os.path.join(HERE, "..", "data", "make_checkpoint.py")

CONFIG = r"""
kmeans_palettization_config:
  global_config:
    enable_fast_kmeans_mode: false
    op_state_spec:
      weight: {n_bits: 4, cluster_dim: 2, granularity: {type: per_grouped_channel, group_size: 16}}
  module_name_configs:
    'encoder\.layer\.0\.intermediate\.dense':
      enable_fast_kmeans_mode: false
      op_state_spec: {weight: {n_bits: 6, cluster_dim: 4, enable_per_channel_scale: true}}
    'encoder\.layer\.0\.output\.dense':
      enable_fast_kmeans_mode: false
      op_state_spec:
        weight: {n_bits: 3, cluster_dim: 2,
                 granularity: {type: per_grouped_channel, axis: 1, group_size: 64},
                 lut_qspec: {dtype: uint8, qscheme: asymmetric}}
    'encoder\.layer\.1\..*':
      op_state_spec: {weight: {n_bits: 4, lut_qspec: {dtype: int8, qscheme: symmetric}}}
"""


def run(*args, timeout=300):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def write_safetensors(path, tensors):
    """name -> float32 array."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        raw = array.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def lut_values(tensors, entry):
    dtype, shape, raw = tensors[entry["lut"]]
    if dtype not in ("I8", "U8"):
        return as_float64(dtype, shape, raw)
    rank = len(entry["shape"])
    codes = as_float64(dtype, shape, raw).astype(np.float32)
    name = entry["lut"][:-len(".lut")]
    scale = as_float64(*tensors[name + ".lut_scale"]).astype(np.float32).reshape(shape[:rank] + [1, 1])
    zero = as_float64(*tensors[name + ".lut_zero_point"]).astype(np.float32).reshape(shape[:rank] + [1, 1])
    return round_to(entry["dtype"], ((codes - zero) * scale).astype(np.float64))


def decode(tensors, entry):
    shape, n_bits, d = entry["shape"], entry["n_bits"], entry["cluster_dim"]
    lut = lut_values(tensors, entry)
    lut_shape = list(lut.shape)
    index_shape = [shape[0] // d] + shape[1:]
    count = int(np.prod(index_shape))
    packed = np.frombuffer(tensors[entry["indices"]][2], dtype=np.uint8)
    bits = np.unpackbits(packed, bitorder="little")[:count * n_bits].reshape(count, n_bits)
    indices = (bits.astype(np.int64) << np.arange(n_bits)).sum(axis=1).reshape(index_shape)
    position = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    table = tuple(position[i] // (shape[i] // lut_shape[i]) for i in range(len(shape)))
    index = indices[(position[0] // d,) + tuple(position[1:])]
    values = lut[table + (index, position[0] % d)]
    if entry["scale"]:
        scale_dtype, scale_shape, scale_raw = tensors[entry["scale"]]
        values = round_to(entry["dtype"], values * as_float64(scale_dtype, scale_shape, scale_raw))
    return values


def test_vector_and_quantized(work, source):
    config = os.path.join(work, "vector.yaml")
    with open(config, "w") as f:
        f.write(CONFIG)
    output = os.path.join(work, "vector.safetensors")
    report_path = os.path.join(work, "vector-report.json")
    code, _, err = run("palettize", source, output, "--config", config, "--report", report_path,
                       "--seed", "3")
    check(code == 0, f"palettize with the vector config exits 0 ({code}: {err})")
    original, _ = read_safetensors(source)
    packed, metadata = read_safetensors(output)
    entries = json.loads(metadata["kmlut.tensors"])
    rows = {row["name"]: row for row in json.load(open(report_path))["tensors"]}
    seen = {"vector": 0, "scaled vector": 0, "int8": 0, "uint8 vector": 0}
    for name, entry in entries.items():
        dtype, shape, raw = original[name]
        d = entry["cluster_dim"]
        lut_dtype, lut_shape, _ = packed[entry["lut"]]
        check(lut_shape[-1] == d and lut_shape[-2] == 2 ** entry["n_bits"], f"{name}: LUT shape {lut_shape}")
        check(entry.get("vector_axis") == (0 if d > 1 else None), f"{name}: vector_axis {entry.get('vector_axis')}")
        if d > 1:
            seen["scaled vector" if entry["scale"] else "uint8 vector" if lut_dtype == "U8" else "vector"] += 1
        if lut_dtype == "I8":
            seen["int8"] += 1
        exact = as_float64(dtype, shape, raw)
        approx = decode(packed, entry)
        sse = float(np.sum((exact - approx) ** 2))
        check(abs(sse - rows[name]["sse"]) <= 1e-9 * max(sse, 1e-30),
              f"{name}: report sse {rows[name]['sse']} vs independent decode {sse}")
        rel = np.sqrt(sse / np.sum(exact ** 2))
        # 1 to 2 bits per element (e.g. d = 2 with 4-bit indices): errors of 0.3 to 0.5 are expected.
        check(0 < rel < 0.6, f"{name}: relative error {rel}")
    check(all(count > 0 for count in seen.values()), f"every kind of tensor was palettized: {seen}")

    decoded = os.path.join(work, "vector-decoded.safetensors")
    code, _, err = run("decode", output, decoded)
    check(code == 0, f"decode exits 0 ({code}: {err})")
    dense, _ = read_safetensors(decoded)
    for name, entry in entries.items():
        mine = decode(packed, entry)
        theirs = as_float64(*dense[name])
        check(np.array_equal(mine, theirs), f"{name}: kmlut decode equals the independent decoder")
    code, out, err = run("verify", source, output, "--json")
    check(code == 0, f"verify exits 0 ({code}: {err})")
    verified = {row["name"]: row for row in json.loads(out)["tensors"]}
    for name in entries:
        row = verified.get(name, {})
        check(abs(row.get("sse", -1) - rows[name]["sse"]) <= 1e-9 * max(rows[name]["sse"], 1e-30),
              f"{name}: verify sse {row.get('sse')} vs report {rows[name]['sse']}")
    return config, output


def test_threads_and_seed(work, source, config, output):
    same = os.path.join(work, "vector-1thread.safetensors")
    code, _, err = run("palettize", source, same, "--config", config, "--seed", "3", "--threads", "1")
    check(code == 0, f"palettize --threads 1 exits 0 ({code}: {err})")
    check(open(same, "rb").read() == open(output, "rb").read(), "1 and all threads give the same bytes")
    other = os.path.join(work, "vector-seed4.safetensors")
    code, _, err = run("palettize", source, other, "--config", config, "--seed", "4")
    check(code == 0, f"palettize --seed 4 exits 0 ({code}: {err})")
    check(open(other, "rb").read() != open(output, "rb").read(), "another seed gives other vector LUTs")


def test_sensitivities(work, source):
    original, _ = read_safetensors(source)
    plan_code, plan_out, plan_err = run("plan", source, "--preset", "w4", "--json")
    check(plan_code == 0, f"plan exits 0 ({plan_code}: {plan_err})")
    plan = json.loads(plan_out)
    jobs = plan["jobs"] if isinstance(plan, dict) and "jobs" in plan else plan
    selected = [job["tensor"] for job in jobs if job.get("spec")]
    check(selected, "the w4 plan selects tensors")
    rng = np.random.default_rng(0)
    importances = {}
    for name in selected:
        dtype, shape, _ = original[name]
        values = rng.standard_normal(shape).astype(np.float32) ** 2
        values[rng.random(shape) < 0.1] = 0
        importances[name] = values
    path = os.path.join(work, "sensitivities.safetensors")
    write_safetensors(path, importances)
    plain = os.path.join(work, "w4.safetensors")
    weighted = os.path.join(work, "w4-sensitive.safetensors")
    code, _, err = run("palettize", source, plain, "--preset", "w4")
    check(code == 0, f"palettize w4 exits 0 ({code}: {err})")
    code, _, err = run("palettize", source, weighted, "--preset", "w4", "--sensitivities", path)
    check(code == 0, f"palettize --sensitivities exits 0 ({code}: {err})")
    check(open(plain, "rb").read() != open(weighted, "rb").read(), "sensitivities change the LUTs")

    missing = dict(importances)
    dropped = selected[0]
    del missing[dropped]
    write_safetensors(path, missing)
    target = os.path.join(work, "w4-missing.safetensors")
    code, _, err = run("palettize", source, target, "--preset", "w4", "--sensitivities", path)
    check(code == 3 and f'no sensitivity tensor "{dropped}"' in err,
          f"a missing sensitivity tensor is exit 3 naming it ({code}: {err})")
    check(not os.path.exists(target), "nothing is written when a sensitivity is missing")

    wrong = dict(importances)
    wrong[dropped] = np.ones((3, 5), np.float32)
    write_safetensors(path, wrong)
    code, _, err = run("palettize", source, target, "--preset", "w4", "--sensitivities", path)
    check(code == 3 and f'sensitivity tensor "{dropped}" has shape [3,5]' in err,
          f"a mismatched sensitivity tensor is exit 3 naming it ({code}: {err})")
    check(not os.path.exists(target), "nothing is written when a sensitivity mismatches")


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    source = os.path.join(work, "model.safetensors")
    subprocess.run([sys.executable, GENERATOR, source], check=True)
    config, output = test_vector_and_quantized(work, source)
    test_threads_and_seed(work, source, config, output)
    test_sensitivities(work, source)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        sys.exit(1)
    print("all vector/lut_qspec/sensitivity checks passed")


if __name__ == "__main__":
    main()
