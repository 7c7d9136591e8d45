#!/usr/bin/env python3
"""Tests of `kmlut bench`: the --json schema is exactly the one docs/benchmarks.md documents, the
work was done (SSE finite and positive), unknown workloads are usage errors, --save-data writes the
bytes the bench ran on, the generated data is deterministic and heavy-tailed, and the checkpoint
workload leaves nothing behind. No timing assertion: benchmarks are not tests.

Usage: test_bench.py KMLUT_BINARY WORK_DIR
"""
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
from checks import FAILURES, check

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "..", "..", "docs", "benchmarks.md")


def run(*args):
    result = subprocess.run([KMLUT, "bench", *args], capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout, result.stderr


def documented_fields():
    """{table title: [field, ...]} from the '### `--json` ...' tables of docs/benchmarks.md."""
    tables, current = {}, None
    with open(DOCS, encoding="utf-8") as docs:
        for line in docs:
            heading = re.match(r"^### JSON: (.+)$", line.strip())
            if heading:
                current = heading.group(1)
                tables[current] = []
                continue
            if line.startswith("#"):
                current = None
            field = re.match(r"^\| `([a-z_]+)` \|", line)
            if current and field:
                tables[current].append(field.group(1))
    return tables


def safetensors_header(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(length)), 8 + length


def test_group16_quick_json(work):
    data = os.path.join(work, "data")
    report = os.path.join(work, "report.json")
    code, out, err = run("--workload", "scalar-group16", "--quick", "--json", "--save-data", data,
                         "--report", report)
    check(code == 0, f"bench --quick --json exits 0 (got {code}: {err})")
    if code != 0:
        return None
    document = json.loads(out)
    with open(report) as f:
        check(json.load(f) == document, "--report writes the document --json prints")
    fields = documented_fields()
    for title in ("document", "workload", "case", "memory_bandwidth"):
        check(title in fields and fields[title], f"docs/benchmarks.md documents the {title} fields")
    check(list(document) == fields.get("document"),
          f"document fields {list(document)} = documented {fields.get('document')}")
    check(list(document["memory_bandwidth"]) == fields.get("memory_bandwidth"),
          "memory_bandwidth fields are the documented ones")
    check(document["memory_bandwidth"]["read_bytes_per_second"] > 0, "bandwidth measured")
    check(document["quick"] is True and document["repeat"] == 1 and document["warmup"] == 0,
          "--quick means one run, no warm-up")
    check(document["backend"] == "cpu", "auto is the CPU backend on a machine without CUDA")
    workloads = document["workloads"]
    check([w["name"] for w in workloads] == ["scalar-group16"], "exactly the named workload runs")
    workload = workloads[0]
    check(list(workload) == fields.get("workload"), f"workload fields {list(workload)}")
    check([c["name"] for c in workload["cases"]] == ["w4", "w6"], "scalar-group16 runs w4 and w6")
    numel = math.prod(workload["tensors"][0]["shape"])
    for case in workload["cases"]:
        check(list(case) == fields.get("case"), f"case fields {list(case)}")
        check(case["status"] == "ok" and case["skip_reason"] is None, f"{case['name']} ran")
        check(case["spec"]["granularity"] == {"type": "per_grouped_channel", "axis": 0,
                                              "group_size": 16},
              f"{case['name']}: grouped spec")
        sse = case["sse"]
        check(isinstance(sse, float) and math.isfinite(sse) and sse > 0,
              f"{case['name']}: SSE finite and > 0 ({sse})")
        check(0 < case["rel_error"] < 1, f"{case['name']}: relative error in (0, 1)")
        check(case["weights"] == numel and case["tensors_palettized"] == 1,
              f"{case['name']}: every weight palettized")
        check(case["runs"] == 1 and len(case["seconds_all"]) == 1 and case["seconds"] > 0,
              f"{case['name']}: one measured run")
        check(case["phase_seconds"] is None, f"{case['name']}: no device phases on the CPU")
        check(case["bytes_read"] == 2 * numel and case["bytes_written"] > 0
              and case["bytes_moved"] == case["bytes_read"] + case["bytes_written"],
              f"{case['name']}: bytes moved")
        check(case["peak_memory_bytes"] > 0, f"{case['name']}: peak memory")
        check(case["lloyd_iterations"] is None and case["seconds_per_iteration"] is None,
              f"{case['name']}: the exact scalar path has no Lloyd iterations")
    w4, w6 = workload["cases"]
    check(w6["sse"] < w4["sse"], "more bits, less error")

    # --save-data: the tensor the bench ran on, with the cases' specs in the metadata.
    path = workload["data_file"]
    check(path == os.path.join(data, "scalar-group16.safetensors") and os.path.exists(path),
          f"--save-data wrote {path}")
    header, _ = safetensors_header(path)
    tensor = workload["tensors"][0]
    check(header[tensor["name"]]["shape"] == tensor["shape"]
          and header[tensor["name"]]["dtype"] == "F16", "saved tensor shape and dtype")
    metadata = header["__metadata__"]
    check(metadata.get("kmlut.bench.workload") == "scalar-group16", "saved workload name")
    cases = json.loads(metadata.get("kmlut.bench.cases", "[]"))
    check([c["spec"]["n_bits"] for c in cases] == [4, 6], "saved case specs")
    return path


def test_generated_data(work, saved):
    import numpy as np
    header, offset = safetensors_header(saved)
    with open(saved, "rb") as f:
        f.seek(offset)
        raw = f.read()
    begin, end = header["weight"]["data_offsets"]
    values = np.frombuffer(raw[begin:end], dtype=np.float16).astype(np.float64)
    std = values.std()
    kurtosis = ((values - values.mean()) ** 4).mean() / std**4
    check(0.018 < std < 0.022, f"generated std ~0.02 (got {std:.4f})")
    check(kurtosis > 4, f"generated data is heavy-tailed (kurtosis {kurtosis:.1f})")
    again = os.path.join(work, "again")
    other = os.path.join(work, "other-seed")
    run("--workload", "scalar-group16", "--quick", "--save-data", again, "--quiet")
    run("--workload", "scalar-group16", "--quick", "--save-data", other, "--seed", "7", "--quiet")
    same = open(saved, "rb").read() == open(os.path.join(again, "scalar-group16.safetensors"),
                                            "rb").read()
    differs = open(saved, "rb").read() != open(os.path.join(other, "scalar-group16.safetensors"),
                                               "rb").read()
    check(same, "the same seed gives the same bytes")
    check(differs, "another seed gives other bytes")


def test_input_checkpoint(saved):
    code, out, err = run("--workload", "scalar-pertensor", "--quick", "--json", "--input", saved)
    check(code == 0, f"bench --input exits 0 ({err})")
    if code == 0:
        workload = json.loads(out)["workloads"][0]
        check(saved in workload["source"] and "weight" in workload["source"],
              f"--input names its tensor: {workload['source']}")
        check(all(c["status"] == "ok" for c in workload["cases"]), "--input cases ran")


def test_vector_small():
    code, out, err = run("--workload", "vector", "--quick", "--shape", "64x128", "--json")
    check(code == 0, f"bench vector exits 0 ({err})")
    if code != 0:
        return
    cases = json.loads(out)["workloads"][0]["cases"]
    check([c["name"] for c in cases] == [f"d{d}-k{k}" for d in (2, 4, 8) for k in (16, 256)],
          "vector cases: cluster_dim 2, 4, 8 x k 16, 256")
    for case in cases:
        if case["status"] == "skipped":  # a backend without the vector path says why
            check(bool(case["skip_reason"]), f"{case['name']}: skipped with a reason")
            continue
        check(case["spec"]["cluster_dim"] == int(case["name"][1]) and case["fast_mode"] is False,
              f"{case['name']}: spec")
        check(case["sse"] > 0 and case["lloyd_iterations"] > 0,
              f"{case['name']}: SSE and Lloyd iterations reported")


def test_checkpoint_cleanup(work):
    scratch = os.path.join(work, "scratch")
    os.makedirs(scratch)
    code, out, err = run("--workload", "checkpoint", "--quick", "--json", "--scratch", scratch)
    check(code == 0, f"checkpoint workload exits 0 ({err})")
    if code == 0:
        case = json.loads(out)["workloads"][0]["cases"][0]
        check(case["status"] == "ok" and case["tensors_palettized"] > 0 and case["sse"] > 0,
              "checkpoint workload palettized tensors")
    check(os.listdir(scratch) == [], f"the generated checkpoint is removed: {os.listdir(scratch)}")


def test_real_checkpoint_configs(work):
    """The four configurations of the real-checkpoint workload run end to end on a generated
    MiniLM-shaped checkpoint recast per case: the three scalar ones select the same tensors, the
    vector one exactly the 4 its regular expression names; the scratch is left empty."""
    scratch = os.path.join(work, "scratch-real")
    os.makedirs(scratch)
    code, out, err = run("--workload", "real-checkpoint", "--quick", "--json", "--scratch", scratch)
    check(code == 0, f"real-checkpoint workload exits 0 ({err})")
    if code == 0:
        cases = {c["name"]: c for c in json.loads(out)["workloads"][0]["cases"]}
        check(list(cases) == ["w4-g16-fp16", "w6-per-tensor-bf16", "w3-all-values-fp32-axis1-g64",
                              "vector-d4-fp32-4-tensors"], f"the four configurations: {list(cases)}")
        for name, case in cases.items():
            check(case["status"] == "ok" and case["sse"] > 0, f"{name} palettized")
        scalar = {cases[n]["tensors_palettized"] for n in list(cases)[:3]}
        check(len(scalar) == 1, f"the scalar configs select the same tensors: {scalar}")
        check(cases["vector-d4-fp32-4-tensors"]["tensors_palettized"] == 4,
              "the vector config palettizes its 4 tensors")
    check(os.listdir(scratch) == [], f"the recast checkpoints are removed: {os.listdir(scratch)}")


def test_usage_errors():
    code, _, err = run("--workload", "scalar-group16,no-such-workload", "--quick")
    check(code == 2, f"unknown workload exits 2 (got {code})")
    check("no-such-workload" in err, f"the message names the workload: {err.strip()}")
    code, _, err = run("--workload", "vector", "--shape", "12by4", "--quick")
    check(code == 2 and "--shape" in err, f"a bad --shape exits 2 naming the option ({err.strip()})")
    code, _, err = run("--workload", "scalar-group16", "--quick", "--backend", "cuda")
    check(code != 0 and "cuda" in err.lower(), f"--backend cuda without CUDA fails clearly ({err})")


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    saved = test_group16_quick_json(work)
    if saved:
        test_generated_data(work, saved)
        test_input_checkpoint(saved)
    test_vector_small()
    test_checkpoint_cleanup(work)
    test_real_checkpoint_configs(work)
    test_usage_errors()
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print("all bench CLI checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
