#!/usr/bin/env python3
"""End-to-end tests of `kmlut palettize`: the kmlut v1 output read back by an independent numpy
decoder written from docs/format.md, byte-identical copies, the report, sharded outputs, overwrite
rules and that a killed run leaves the output directory exactly as it was.

Usage: test_palettize.py KMLUT_BINARY WORK_DIR
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_numpy import (NUMPY, as_float64, read_safetensors, round_to,  # noqa: E402
                               write_fp16_checkpoint)
from checks import FAILURES, check  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = os.path.join(HERE, "..", "data", "make_checkpoint.py")


def run(*args, timeout=300):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def decode(tensors, entry):
    """docs/format.md §4 reconstruction for cluster_dim 1."""
    shape, n_bits = entry["shape"], entry["n_bits"]
    lut_dtype, lut_shape, lut_raw = tensors[entry["lut"]]
    lut = as_float64(lut_dtype, lut_shape, lut_raw)
    packed = np.frombuffer(tensors[entry["indices"]][2], dtype=np.uint8)
    numel = int(np.prod(shape))
    bits = np.unpackbits(packed, bitorder="little")[:numel * n_bits].reshape(numel, n_bits)
    indices = (bits.astype(np.int64) << np.arange(n_bits)).sum(axis=1).reshape(shape)
    rank = len(shape)
    grid = np.meshgrid(*[np.arange(d) // (d // lut_shape[i]) for i, d in enumerate(shape)], indexing="ij")
    table = lut[tuple(grid) + (indices, 0)]
    if entry["scale"]:
        scale_dtype, scale_shape, scale_raw = tensors[entry["scale"]]
        table = round_to(entry["dtype"], table * as_float64(scale_dtype, scale_shape, scale_raw))
    return table.reshape(shape) if rank else table


def test_single_file(work):
    source = os.path.join(work, "model.safetensors")
    subprocess.run([sys.executable, GENERATOR, source], check=True)
    output = os.path.join(work, "w4.safetensors")
    report_path = os.path.join(work, "report.json")
    code, _, err = run("palettize", source, output, "--preset", "w4", "--report", report_path)
    check(code == 0, f"palettize exits 0 ({code}: {err})")
    original, _ = read_safetensors(source)
    packed, metadata = read_safetensors(output)
    check(metadata.get("format") == "pt" and metadata.get("kmlut.version") == "1",
          f"metadata format/version: {metadata}")
    entries = json.loads(metadata["kmlut.tensors"])
    report = json.load(open(report_path))
    rows = {row["name"]: row for row in report["tensors"]}
    check(set(rows) == set(original), "the report lists every input tensor")
    check(report["summary"]["palettized"] == len(entries), "summary counts the palettized tensors")
    for name, (dtype, shape, raw) in original.items():
        if name in entries:
            entry = entries[name]
            check(name not in packed, f"{name} is replaced by its parts")
            check(entry["dtype"] == dtype and entry["shape"] == shape, f"{name}: entry dtype/shape")
            lut_shape = packed[entry["lut"]][1]
            expected_lut = [shape[0] // 16] + [1] * (len(shape) - 1) + [16, 1]
            check(lut_shape == expected_lut, f"{name}: w4 LUT shape {lut_shape}")
            approx = decode(packed, entry)
            exact = as_float64(dtype, shape, raw)
            sse = float(np.sum((exact - approx) ** 2))
            check(abs(sse - rows[name]["sse"]) <= 1e-9 * max(sse, 1e-30),
                  f"{name}: report sse {rows[name]['sse']} vs independent decode {sse}")
            rel = np.sqrt(sse / np.sum(exact ** 2))
            check(rel < 0.2 and abs(rel - rows[name]["rel_error"]) < 1e-9, f"{name}: rel error {rel}")
            spec = rows[name]["spec"]
            check(rows[name]["status"] == "palettized" and spec["n_bits"] == 4
                  and spec["granularity"]["group_size"] == 16
                  and rows[name]["num_luts"] == shape[0] // 16,
                  f"{name}: report row {rows[name]}")
        else:
            check(packed.get(name) == (dtype, shape, raw), f"{name} copied byte for byte")
            check(rows[name]["status"] == "copied", f"{name}: status {rows[name]['status']}")
    keys = {"kmlut_version", "backend", "device", "seconds", "tensors", "summary"}
    check(keys <= set(report), f"report keys {set(report)}")
    return source, output


def test_overwrite_rules(source, output):
    code, _, err = run("palettize", source, output, "--preset", "w8")
    check(code == 2 and "--force" in err, f"existing output refused without --force ({code}: {err})")
    code, _, err = run("palettize", source, source, "--preset", "w8", "--force")
    check(code == 2 and "input" in err, f"writing onto the input refused ({code}: {err})")
    before = open(output, "rb").read()
    code, _, _ = run("palettize", source, output, "--preset", "w8", "--force", "--quiet")
    check(code == 0 and open(output, "rb").read() != before, "--force replaces the output")


def test_strict_failure_keeps_existing_output(work, output):
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((32, 32)).astype(np.float32)
    weight[3, 4] = np.nan
    bad = os.path.join(work, "nan.safetensors")
    header = json.dumps({"layer.weight": {"dtype": "F32", "shape": [32, 32],
                                          "data_offsets": [0, weight.nbytes]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(bad, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + weight.tobytes())
    before = open(output, "rb").read()
    code, _, err = run("palettize", bad, output, "--force", "--strict")
    check(code == 1 and "layer.weight" in err and "non-finite" in err, f"--strict NaN fails ({code}: {err})")
    check(open(output, "rb").read() == before, "a failed run leaves the existing output intact")
    fresh = os.path.join(work, "nan-out.safetensors")
    code, _, err = run("palettize", bad, fresh, "--report", fresh + ".json")
    row = json.load(open(fresh + ".json"))["tensors"][0]
    check(code == 0 and row["status"] == "skipped" and "non-finite" in row["reason"],
          f"without --strict a NaN tensor is skipped with a reason ({row})")
    check(read_safetensors(fresh)[0]["layer.weight"][2] == weight.tobytes(), "skipped tensor copied")


def test_sharded(work):
    source = os.path.join(work, "sharded")
    subprocess.run([sys.executable, GENERATOR, source, "--shards", "3"], check=True)
    output = os.path.join(work, "sharded-w6")
    code, _, err = run("palettize", source, output, "--preset", "w6", "--quiet")
    check(code == 0, f"sharded palettize exits 0 ({code}: {err})")
    index = json.load(open(os.path.join(output, "model.safetensors.index.json")))
    total = 0
    for shard in sorted(set(index["weight_map"].values())):
        tensors, metadata = read_safetensors(os.path.join(output, shard))
        total += sum(len(t[2]) for t in tensors.values())
        for name in tensors:
            check(index["weight_map"].get(name) == shard, f"weight_map places {name} in {shard}")
        for name, entry in json.loads(metadata["kmlut.tensors"]).items():
            check(entry["lut"] in tensors and entry["indices"] in tensors, f"{name}'s parts share a shard")
    check(index["metadata"]["total_size"] == total, "total_size is the sum of tensor bytes")
    input_index = json.load(open(os.path.join(source, "model.safetensors.index.json")))
    check(set(index["weight_map"].values()) == set(input_index["weight_map"].values()),
          "output shards mirror the input's")


def write_big_checkpoint(directory, shards):
    """Four 2048x4096 F32 tensors: one file, or `shards` files and an index, in `directory`."""
    os.makedirs(directory, exist_ok=True)
    weight = np.random.default_rng(1).standard_t(4, size=(2048, 4096)).astype(np.float32) * 0.02
    names = [f"l{i}.weight" for i in range(4)]
    per_shard = [names[i::shards] for i in range(shards)]
    files = ["model.safetensors"] if shards == 1 else [
        f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards)]
    for file_name, members in zip(files, per_shard):
        header = json.dumps({name: {"dtype": "F32", "shape": [2048, 4096],
                                    "data_offsets": [i * weight.nbytes, (i + 1) * weight.nbytes]}
                             for i, name in enumerate(members)}).encode()
        header += b" " * (-len(header) % 8)
        with open(os.path.join(directory, file_name), "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header + weight.tobytes() * len(members))
    if shards == 1:
        return os.path.join(directory, files[0])
    weight_map = {name: files[i] for i, members in enumerate(per_shard) for name in members}
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)
    return directory


def listing(directory):
    """Every entry under `directory`, hidden ones included, with sizes of files."""
    entries = []
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = os.path.join(root, name)
            entries.append((os.path.relpath(path, directory),
                            os.path.getsize(path) if os.path.isfile(path) else None))
    return sorted(entries)


def test_killed_run_leaves_the_directory_as_it_was(work):
    """SIGKILL at several moments (reading, copying, clustering, writing): the output directory
    lists exactly what it held before, or, when the run had finished, that plus a complete
    output. Output files are unnamed until they are linked into place (docs/format.md)."""
    for shards in (1, 2):
        source = write_big_checkpoint(os.path.join(work, f"big-{shards}"), shards)
        before_input = listing(os.path.dirname(source) if shards == 1 else source)
        for delay in (0.02, 0.1, 0.4, 1.0, 2.5):
            out_dir = os.path.join(work, f"killed-{shards}-{delay}")
            os.makedirs(out_dir)
            with open(os.path.join(out_dir, "unrelated.txt"), "w") as f:
                f.write("kept")
            before = listing(out_dir)
            name = "out.safetensors" if shards == 1 else "out"
            output = os.path.join(out_dir, name)
            process = subprocess.Popen([KMLUT, "palettize", source, output, "--preset", "w8",
                                        "--quiet", "--threads", "1"])
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait()
            # The kill may land after the commit (the run then has only its exit left, which is
            # slow under a sanitizer): an output in place must then be complete.
            finished = os.path.exists(output)
            if finished:
                code, _, err = run("verify", source, output)
                check(code == 0, f"a committed run's output verifies ({code}: {err})")

            def others():
                entries = listing(out_dir)
                if not finished:
                    return entries
                return [e for e in entries if e[0] != name and not e[0].startswith(name + os.sep)]

            # A model directory is staged under a hidden name that a watcher process removes once
            # the killed run is gone (host/io/removal_guardian.hpp): give it a moment.
            after = others()
            deadline = time.monotonic() + 10
            while after != before and time.monotonic() < deadline:
                time.sleep(0.05)
                after = others()
            check(after == before,
                  f"kill after {delay}s ({shards} shard(s)) leaves the directory as it was: {after}")
        check(listing(os.path.dirname(source) if shards == 1 else source) == before_input,
              "killed runs leave the input untouched")


def dtype_bytes(dtype, values):
    """float64 values (already representable in dtype) -> the dtype's little-endian bytes."""
    if dtype == "BF16":
        return (values.astype(np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
    return values.astype(np.dtype(NUMPY[dtype]).newbyteorder("<")).tobytes()


def test_decode_matches_independent_decoder(work, source, output):
    decoded = os.path.join(work, "decoded.safetensors")
    code, _, err = run("decode", output, decoded)
    check(code == 0, f"decode exits 0 ({code}: {err})")
    packed, metadata = read_safetensors(output)
    dense, _ = read_safetensors(decoded)
    original, _ = read_safetensors(source)
    entries = json.loads(metadata["kmlut.tensors"])
    check(set(dense) == set(original), "decode restores every tensor name")
    for name, (dtype, shape, raw) in original.items():
        if name not in entries:
            check(dense[name] == (dtype, shape, raw), f"{name}: copied tensor decodes to itself")
            continue
        mine = dtype_bytes(dtype, decode(packed, entries[name]))
        check(dense[name][0] == dtype and dense[name][1] == shape, f"{name}: decoded dtype/shape")
        check(dense[name][2] == mine, f"{name}: kmlut decode and the numpy decoder agree bit for bit")


def peak_rss_mib(*args):
    """Runs kmlut in a fresh Python process and returns the child's peak RSS in MiB."""
    probe = ("import resource, subprocess, sys; "
             "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
             "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, KMLUT, *args], capture_output=True,
                         text=True, check=True).stdout.split()
    return int(out[0]), int(out[1]) / 1024


def test_memory_stays_within_budget(work):
    if os.environ.get("KMLUT_UNDER_SANITIZER") == "1":
        print("note: the memory budget is not measured under a sanitizer (shadow memory)")
        return
    # 32 tensors of 8 MiB: a 256 MiB checkpoint, four times the 64 MiB budget.
    source = os.path.join(work, "budget.safetensors")
    write_fp16_checkpoint(source, 32, 2048, 2048, seed=2)
    budget_mib = 64
    code, peak = peak_rss_mib("palettize", source, os.path.join(work, "budget-out.safetensors"),
                              "--preset", "w4", "--memory-budget", f"{budget_mib}M", "--quiet")
    print(f"peak RSS {peak:.0f} MiB for a 256 MiB checkpoint, budget {budget_mib} MiB")
    # The budget covers tensor data in flight; 32 MiB allow for the program, its libraries and
    # per-thread scratch (histograms, solver workspace).
    check(code == 0 and peak <= budget_mib + 32, f"peak RSS {peak:.0f} MiB exceeds the budget")


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    source, output = test_single_file(work)
    test_decode_matches_independent_decoder(work, source, output)
    test_overwrite_rules(source, output)
    test_strict_failure_keeps_existing_output(work, output)
    test_sharded(work)
    test_killed_run_leaves_the_directory_as_it_was(work)
    test_memory_stays_within_budget(work)
    print(f"{len(FAILURES)} failure(s)")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
