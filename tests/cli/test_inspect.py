#!/usr/bin/env python3
"""`kmlut inspect` of kmlut v1 checkpoints (docs/inspect.md): the per-tensor table and summary,
--json and --raw, checked against the files read with numpy alone (tests/cli/safetensors_numpy.py)
and against palettize's --report, for a config that mixes per-tensor and grouped LUTs, vectors
(cluster_dim > 1), per-channel scales and quantized (int8/uint8) LUTs, single-file and sharded.

Usage: test_inspect.py KMLUT_BINARY WORK_DIR
"""
import json
import math
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_numpy import read_safetensors  # noqa: E402
from checks import FAILURES, check  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_CHECKPOINT = os.path.join(HERE, "..", "data", "make_checkpoint.py")
BITS = {"F64": 64, "F32": 32, "F16": 16, "BF16": 16, "I64": 64, "I32": 32, "U8": 8, "I8": 8}

CONFIG = r"""
kmeans_palettization_config:
  global_config:
    op_state_spec:
      weight: {n_bits: 4, granularity: {type: per_grouped_channel, group_size: 16}}
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
      op_state_spec: {weight: {n_bits: 2, lut_qspec: {dtype: int8, qscheme: symmetric}}}
    'vision\..*':
      op_state_spec: {weight: {n_bits: 4, granularity: {type: per_grouped_channel, group_size: 48}}}
"""


def run(*args):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
    return result.returncode, result.stdout


def product(values):
    return math.prod(values) if values else 1


def expected_from_files(files):
    """What inspect must say, from the safetensors headers and the kmlut.tensors metadata."""
    palettized, stored = {}, {}
    for path in files:
        tensors, metadata = read_safetensors(path)
        stored.update({name: (dtype, shape, len(raw)) for name, (dtype, shape, raw) in
                       tensors.items()})
        for name, entry in json.loads(metadata.get("kmlut.tensors", "{}")).items():
            parts = [entry["lut"], entry["indices"], entry["scale"], name + ".lut_scale",
                     name + ".lut_zero_point"]
            lut_dtype, lut_shape, _ = tensors[entry["lut"]]
            palettized[name] = {
                "shape": entry["shape"], "dtype": entry["dtype"], "n_bits": entry["n_bits"],
                "granularity": "per_tensor" if entry["group_axis"] is None
                else "per_grouped_channel",
                "group_axis": entry["group_axis"], "group_size": entry["group_size"],
                "cluster_dim": entry["cluster_dim"], "num_luts": product(lut_shape[:-2]),
                "lut_dtype": lut_dtype, "per_channel_scale": entry["scale"] is not None,
                "bytes_before": product(entry["shape"]) * BITS[entry["dtype"]] // 8,
                "bytes_after": sum(len(tensors[p][2]) for p in parts if p in tensors),
                "file": os.path.basename(path)}
    parts = {p for name in palettized for p in stored if p.startswith(name + ".")}
    dense = {name: value for name, value in stored.items() if name not in parts}
    weights = sum(product(e["shape"]) for e in palettized.values()) + \
        sum(product(shape) for _, shape, _ in dense.values())
    before = sum(e["bytes_before"] for e in palettized.values()) + \
        sum(size for _, _, size in dense.values())
    after = sum(size for _, _, size in stored.values())
    summary = {"palettized": len(palettized), "stored_dense": len(dense), "weights": weights,
               "bytes_before": before, "bytes_after": after,
               "bits_per_weight": 8 * after / weights, "compression_ratio": before / after,
               "palettized_bits_per_weight":
                   8 * sum(e["bytes_after"] for e in palettized.values()) /
                   sum(product(e["shape"]) for e in palettized.values())}
    return palettized, summary


def inspect_case(model, out, work, label):
    config = os.path.join(work, "config.yaml")
    with open(config, "w") as f:
        f.write(CONFIG)
    report_path = os.path.join(work, label + ".report.json")
    code, _ = run("palettize", model, out, "--config", config, "--report", report_path, "--quiet")
    check(code == 0, f"{label}: palettize exits 0")
    report = json.load(open(report_path))
    files = [out] if os.path.isfile(out) else \
        sorted(os.path.join(out, n) for n in os.listdir(out) if n.endswith(".safetensors"))
    palettized, summary = expected_from_files(files)

    code, text = run("inspect", out, "--json")
    check(code == 0, f"{label}: inspect --json exits 0")
    document = json.loads(text)
    check(document["format"] == "kmlut v1", f"{label}: format is kmlut v1")
    got = {entry.pop("name"): entry for entry in document["palettized"]}
    check(got == palettized, f"{label}: palettized entries differ: " +
          str({n: (got.get(n), e) for n, e in palettized.items() if got.get(n) != e})[:2000])
    for key, value in summary.items():
        shown = document["summary"][key]
        check(math.isclose(shown, value, rel_tol=1e-12), f"{label}: summary {key} {shown} vs {value}")
    counts = report["summary"]
    check(summary["palettized"] == counts["palettized"] and
          summary["stored_dense"] == counts["copied"] + counts["skipped"],
          f"{label}: counts agree with palettize --report {counts}")
    check(counts["skipped"] > 0, f"{label}: the config skips something (vision.*)")
    rows = {row["name"]: row for row in report["tensors"]}
    for name, entry in palettized.items():
        check(rows[name]["bytes_out"] == entry["bytes_after"] and
              rows[name]["bytes_in"] == entry["bytes_before"],
              f"{label}: {name}: the report's bytes_in/bytes_out match the file")
    check(sum(row["bytes_out"] for row in rows.values()) == counts["bytes_out"],
          f"{label}: the report's per-tensor bytes_out add up to its summary")
    kinds = {(e["cluster_dim"] > 1, e["per_channel_scale"], e["lut_dtype"]) for e in got.values()}
    check(len(kinds) >= 4, f"{label}: vectors, scales and quantized LUTs all shown: {kinds}")
    check(all("kmlut.tensors" not in f["metadata"] for f in document["files"]),
          f"{label}: no raw kmlut.tensors without --raw")
    code, text = run("inspect", out, "--json", "--raw")
    check(code == 0 and all("kmlut.tensors" in f["metadata"] for f in json.loads(text)["files"]),
          f"{label}: --raw shows kmlut.tensors")

    code, text = run("inspect", out)
    check(code == 0, f"{label}: inspect exits 0")
    check(max(len(line) for line in text.splitlines()) < 400, f"{label}: no giant line")
    for name in palettized:
        check(any(line.startswith(name + " ") for line in text.splitlines()),
              f"{label}: the table has a row for {name}")
    check(f"{summary['compression_ratio']:.2f}x" in text and
          f"{summary['bits_per_weight']:.2f} bits per weight" in text,
          f"{label}: the text summary states ratio and bits per weight")
    code, text = run("inspect", out, "--raw")
    check(code == 0 and '"packing"' in text, f"{label}: --raw prints the raw listing")


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    single = os.path.join(work, "model.safetensors")
    subprocess.run([sys.executable, MAKE_CHECKPOINT, single], check=True)
    inspect_case(single, os.path.join(work, "out.safetensors"), work, "single file")
    sharded = os.path.join(work, "sharded")
    subprocess.run([sys.executable, MAKE_CHECKPOINT, sharded, "--shards", "3"], check=True)
    inspect_case(sharded, os.path.join(work, "sharded-out"), work, "sharded")
    print(f"{len(FAILURES)} failure(s)")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
