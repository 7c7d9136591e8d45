#!/usr/bin/env python3
"""kmlut next to its peers on the same data, in one run, in one table, with a plot.

usage: python3 bench/peers/run_peers.py [--quick] [--workloads W1,W2] [--threads N] [--out DIR]
                                        [--kmlut PATH] [--budget S] [--no-sweep] [--no-install]

1. Runs itself inside bench/.peers-venv (created on first use) and pip-installs every peer there,
   one package at a time; a package that fails is reported as "not installed: <error>".
2. Builds kmlut's CLI (build/peers) unless --kmlut names one, and runs
   `kmlut bench --workload W --json --save-data DIR` for each workload: kmlut's times and SSE,
   and the exact tensors it ran on.
3. Runs each peer on those tensors with the same spec and thread count: coremltools' Core ML
   palettize_weights (kmeans mode), PyPI kmeans1d, sklearn KMeans (lloyd, elkan), faiss Kmeans
   (no subsampling). See bench/peers/README.md for the settings and the budget rule.
4. Writes peers.md (the table), peers.json (every raw number) and throughput_vs_size.png (a sweep
   of per-tensor w4 sizes) to --out (default bench/results/<date>/).
"""

import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import peer_env  # noqa: E402
from peer_env import REPO, log  # noqa: E402

DEFAULT_WORKLOADS = "scalar-pertensor,scalar-group16,scalar-smallblocks,scalar-allvalues,vector"
SWEEP_SHAPES = ["256x1024", "1024x1024", "1024x4096", "4096x4096"]
QUICK_SWEEP_SHAPES = ["64x256", "256x1024"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="kmlut's --quick shapes, small budgets: a smoke run of a minute or two")
    parser.add_argument("--workloads", default=DEFAULT_WORKLOADS,
                        help=f"comma list of kmlut bench workloads (default {DEFAULT_WORKLOADS})")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for kmlut and every peer (default: all cores)")
    parser.add_argument("--repeat", type=int, default=3, help="kmlut's measured runs (default 3)")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds a peer may spend on one case before the rest is "
                             "extrapolated (default 8, quick 2)")
    parser.add_argument("--cap", type=float, default=None,
                        help="coremltools: a whole run predicted longer than this is "
                             "extrapolated from a probe (default 90, quick 10)")
    parser.add_argument("--out", help="output folder (default bench/results/<date>[-quick])")
    parser.add_argument("--kmlut", help="the kmlut binary (default: build it in build/peers)")
    parser.add_argument("--no-sweep", action="store_true", help="no size sweep, no plot")
    parser.add_argument("--no-install", action="store_true", help="never pip install")
    parser.add_argument("--keep-data", action="store_true", help="keep the saved tensors")
    parser.add_argument("--venv", default=str(peer_env.DEFAULT_VENV))
    return parser.parse_args()


# ------------------------------------------------------------------------------------------------
# kmlut


def build_kmlut():
    build = REPO / "build" / "peers"
    binary = build / "host" / "cli" / "kmlut"
    configure = ["cmake", "-S", str(REPO), "-B", str(build), "-G", "Ninja",
                 "-DCMAKE_BUILD_TYPE=Release", "-DKMLUT_CUDA=OFF", "-DKMLUT_BUILD_TESTS=OFF",
                 "-DKMLUT_BUILD_BENCH=OFF"]
    error = None
    for attempt in range(2):
        try:
            log("building kmlut" + (" (retry)" if attempt else ""))
            subprocess.run(configure, check=True, capture_output=True, text=True)
            subprocess.run(["ninja", "-C", str(build), "kmlut_cli"], check=True,
                           capture_output=True, text=True)
            return binary, None
        except (OSError, subprocess.CalledProcessError) as e:
            tail = ((getattr(e, "stdout", "") or "") + (getattr(e, "stderr", "") or "")).strip()
            error = tail.splitlines()[-1] if tail else str(e)
            log(f"build failed: {error}")
            if attempt == 0:
                time.sleep(60)  # a shared tree: a file may be mid-edit
    if binary.exists():
        return binary, f"stale binary (build failed: {error})"
    sys.exit(f"cannot build kmlut: {error}")


def kmlut_bench(binary, workload, args, data_dir, shape=None):
    command = [str(binary), "bench", "--workload", workload, "--json", "--quiet", "--threads",
               str(args.threads), "--repeat", str(args.repeat), "--save-data", str(data_dir)]
    if args.quick:
        command.append("--quick")
    if shape:
        command += ["--shape", shape]
    log(" ".join(command[1:]))
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"kmlut bench failed ({result.returncode}): {result.stderr.strip()}")
    return json.loads(result.stdout)


def load_tensors(path):
    import numpy as np
    try:
        from safetensors.numpy import load_file
        return load_file(str(path))
    except ImportError:
        # The format is small enough to read by hand: u64 header length, JSON header, raw data.
        raw = Path(path).read_bytes()
        length = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8:8 + length])
        dtypes = {"F16": np.float16, "F32": np.float32, "F64": np.float64}
        tensors = {}
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            begin, end = entry["data_offsets"]
            data = raw[8 + length + begin:8 + length + end]
            tensors[name] = np.frombuffer(data, dtypes[entry["dtype"]]).reshape(entry["shape"])
        return tensors


# ------------------------------------------------------------------------------------------------
# One case: kmlut's row and every peer's


def kmlut_row(case, threads):
    row = dict(tool=f"kmlut ({threads} threads)", weights=case.get("weights"))
    if case["status"] != "ok":
        row.update(status=f"skipped: {case['skip_reason']}")
        return row
    row.update(seconds=case["seconds"], sse=case["sse"], iterations=case["lloyd_iterations"],
               seconds_per_iteration=case["seconds_per_iteration"], is_kmlut=True,
               notes=f"kmlut bench, median of {case['runs']} (min {case['seconds_min']:.3f} s)")
    return row


def run_case(workload, case, tensors, status, args, bundled, budget, cap):
    import numpy as np
    import peer_tools
    weight = tensors[case["tensors"][0]]
    problem = peer_tools.Problem(weight, case["spec"], case["fast_mode"])
    weights = int(weight.size)
    rows = [kmlut_row(case, args.threads)]
    scalar = problem.d == 1

    exact = []  # exact SSE of block i, computed on demand (grouped scalar cases only)

    def exact_blocks(count):
        if not (scalar and bundled and len(problem.blocks) > 1):
            return None
        while len(exact) < count:
            exact.append(peer_tools.exact_block_sse(problem, problem.blocks[len(exact)], bundled))
        return float(np.sum(exact[:count]))

    record = dict(workload=workload["name"], case=case["name"], description=case["description"],
                  weights=weights, spec=case["spec"], rows=rows)
    if scalar and bundled and len(problem.blocks) > 1 and case["status"] == "ok":
        # A cross-check on the side: the exact optimum recomputed with coreai_opt's solver.
        total = exact_blocks(len(problem.blocks))
        record["exact_check"] = dict(coreai_opt_sse=total, kmlut_sse=case["sse"],
                                     relative_difference=abs(total - case["sse"]) / total)

    tool = "coremltools palettize_weights"
    log(f"  {tool}")
    if peer_tools.available("coremltools", status):
        try:
            rows.append(dict(tool=tool, weights=weights,
                             **peer_tools.run_coremltools(problem, case["spec"], args.threads,
                                                          cap, exact_blocks)))
        except Exception as error:  # noqa: BLE001 - a peer's failure is a row, not the end
            rows.append(dict(tool=tool, status=f"failed: {type(error).__name__}: {error}"))
    else:
        rows.append(dict(tool=tool, status=status.get("coremltools") or "not installed"))

    for tool, entry in peer_tools.TOOLS.items():
        if entry.get("scalar_only") and not scalar:
            rows.append(dict(tool=tool, status="not applicable: 1-D only"))
            continue
        if not peer_tools.available(entry["package"], status):
            rows.append(dict(tool=tool, status=status.get(entry["package"]) or "not installed"))
            continue
        log(f"  {tool}")
        try:
            row = peer_tools.run_tool(tool, problem, args.threads, budget, exact_blocks)
            rows.append(dict(tool=tool, weights=weights, notes=entry["notes"], **row))
        except Exception as error:  # noqa: BLE001
            rows.append(dict(tool=tool, status=f"failed: {type(error).__name__}: {error}"))

    kmlut = rows[0]
    if scalar:
        optimum = kmlut.get("sse")
    else:
        whole = [r["sse"] for r in rows if r.get("sse") is not None and not r.get("sse_scope")
                 and not r.get("subsample_fit")]
        optimum = min(whole) if whole else None
    record["optimum_sse"] = optimum
    from peer_report import finish_rows
    finish_rows(rows, kmlut.get("seconds"), optimum)
    return record


# ------------------------------------------------------------------------------------------------


def main():
    args = parse_args()
    peer_env.ensure_venv(args.venv)
    # Read by OpenMP when the peers' libraries load: the same thread count for every tool.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    status = peer_env.install_peers(not args.no_install)
    if status["numpy"]:
        sys.exit(f"numpy is required: {status['numpy']}")
    import peer_report
    import peer_tools

    budget = args.budget if args.budget is not None else (2.0 if args.quick else 8.0)
    cap = args.cap if args.cap is not None else (10.0 if args.quick else 90.0)
    date = datetime.date.today().isoformat()
    out = Path(args.out or REPO / "bench" / "results" / (date + ("-quick" if args.quick else "")))
    data_dir = out / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    machine = peer_env.machine_facts()
    binary, binary_note = (Path(args.kmlut), None) if args.kmlut else build_kmlut()
    bundled = None
    if peer_tools.available("coremltools", status):
        try:
            bundled = peer_tools.load_bundled_kmeans1d()
        except Exception as error:  # noqa: BLE001
            log(f"no exact reference for partial runs: {error}")

    results = dict(machine=machine, install_status=status, mode="quick" if args.quick else "full",
                   command="python3 bench/peers/run_peers.py " + shlex.join(sys.argv[1:]),
                   kmlut_binary=str(binary) + (f" ({binary_note})" if binary_note else ""),
                   threads=args.threads, repeat=args.repeat, budget=budget, cap=cap, cases=[],
                   kmlut=[])
    for name in args.workloads.split(","):
        document = kmlut_bench(binary, name, args, data_dir)
        results["kmlut"].append(document)
        workload = document["workloads"][0]
        tensors = load_tensors(workload["data_file"])
        for case in workload["cases"]:
            log(f"{name} {case['name']}: {case['description']}")
            results["cases"].append(run_case(workload, case, tensors, status, args, bundled,
                                             budget, cap))

    if not args.no_sweep and peer_tools.available("matplotlib", status):
        sweep = {}
        shapes = QUICK_SWEEP_SHAPES if args.quick else SWEEP_SHAPES
        for shape in shapes:
            document = kmlut_bench(binary, "scalar-pertensor", args, data_dir / "sweep", shape)
            workload = document["workloads"][0]
            tensors = load_tensors(workload["data_file"])
            case = next(c for c in workload["cases"] if c["name"] == "w4")
            log(f"sweep {shape}")
            record = run_case(workload, case, tensors, status, args, bundled, budget / 2, cap / 3)
            for row in record["rows"]:
                if row.get("weights_per_second"):
                    sweep.setdefault(row["tool"], []).append(
                        dict(weights=record["weights"], shape=shape,
                             weights_per_second=row["weights_per_second"],
                             extrapolated=row.get("extrapolated")))
        for record in results["cases"]:  # the full-size per-tensor w4 case, when it ran
            if record["workload"] == "scalar-pertensor" and record["case"] == "w4":
                for row in record["rows"]:
                    if row.get("weights_per_second"):
                        sweep.setdefault(row["tool"], []).append(
                            dict(weights=record["weights"],
                                 weights_per_second=row["weights_per_second"],
                                 extrapolated=row.get("extrapolated")))
        results["sweep"] = sweep
        plot = out / "throughput_vs_size.png"
        peer_report.write_plot(sweep, plot, f"per-tensor w4, F16 Student-t weights; "
                                            f"{machine['cpu']}, {args.threads} threads")
        results["plot"] = plot.name

    results["load_average_end"] = list(os.getloadavg())
    report = peer_report.markdown_report(results)
    (out / "peers.md").write_text(report)
    peer_report.write_json(results, out / "peers.json")
    if not args.keep_data:
        import shutil
        shutil.rmtree(data_dir, ignore_errors=True)
    print(report)
    log(f"wrote {out / 'peers.md'}, {out / 'peers.json'}" +
        (f", {out / results['plot']}" if results.get("plot") else ""))


if __name__ == "__main__":
    main()
