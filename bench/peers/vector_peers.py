#!/usr/bin/env python3
"""Vector palettization against scikit-learn and faiss-cpu on the same vectors, the same threads,
in the same run: a 4096×4096 fp16 LLM-like tensor, vectors along axis 0 as coreai_opt forms them,
for every cluster_dim d in {2, 4, 8} and k in {16, 256} (the CPU-engine issue's goal: at least 2×
faiss-cpu per Lloyd iteration on each), or the cases `--cases` names (e.g. d4k256,d2k16).

Two measurements per case:
  per iteration  kmlut: its whole fit (k-means++, n_init = 5, every Lloyd iteration, LUT,
                 indices, error) divided by its Lloyd iterations, from `kmlut palettize --report`.
                 Peers: `--peer-iterations` Lloyd iterations from fixed initial centres (no
                 seeding), divided by the iterations — their steady-state cost per iteration.
  full fit       all three with n_init = 5 and max_iter = 300 (faiss: nredo = 5, niter = 300, as
                 it has no convergence test), on a `--fit-rows`×4096 slice, which keeps
                 scikit-learn's fit within minutes.

usage: vector_peers.py --kmlut build/default/host/cli/kmlut [--threads 2] [--rows 4096]
                       [--fit-rows 256] [--peer-iterations 5] [--cases d4k256,...] [--out DIR]
                       [--no-install]
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_env  # noqa: E402

CASES = [(d, n_bits) for d in (2, 4, 8) for n_bits in (4, 8)]  # (cluster_dim, n_bits)


def parse_cases(text):
    """'d4k256,d2k16' -> [(4, 8), (2, 4)]; k must be a power of two."""
    cases = []
    for item in text.split(","):
        d, k = item.strip().lstrip("d").split("k")
        n_bits = int(k).bit_length() - 1
        if int(d) < 1 or n_bits < 1 or 1 << n_bits != int(k):
            raise SystemExit(f"vector_peers.py: --cases: {item!r} is not dD kK with K a power of two")
        cases.append((int(d), n_bits))
    return cases


def write_tensor(path, name, array):
    raw = array.astype("<f2").tobytes()
    header = json.dumps({name: {"dtype": "F16", "shape": list(array.shape),
                                "data_offsets": [0, len(raw)]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + raw)


def vectors_of(weight, d):
    """coreai_opt's _vectorize: column by column, d consecutive rows per vector."""
    import numpy as np
    return np.ascontiguousarray(weight.astype(np.float32).T.reshape(-1, d))


def run_kmlut(kmlut, weight, d, n_bits, threads, work):
    source = os.path.join(work, f"w{weight.shape[0]}.safetensors")
    if not os.path.exists(source):
        write_tensor(source, "layer.weight", weight)
    config = os.path.join(work, f"d{d}.json")
    with open(config, "w") as f:
        json.dump({"kmeans_palettization_config": {"global_config": {
            "enable_fast_kmeans_mode": False,
            "op_state_spec": {"weight": {"n_bits": n_bits, "cluster_dim": d}}}}}, f)
    output = os.path.join(work, f"out-d{d}-{weight.shape[0]}.safetensors")
    report = output + ".json"
    subprocess.run([kmlut, "palettize", source, output, "--config", config, "--report", report,
                    "--threads", str(threads), "--force", "--quiet"], check=True)
    row = json.load(open(report))["tensors"][0]
    os.remove(output)
    return {"seconds": row["seconds"], "iterations": row["lloyd_iterations"], "sse": row["sse"]}


def sklearn_iterations(points, k, threads, iterations):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits
    init = points[:: max(1, len(points) // k)][:k]
    with threadpool_limits(threads):
        start = time.perf_counter()
        model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=iterations, tol=0,
                       algorithm="lloyd").fit(points)
        seconds = time.perf_counter() - start
    return seconds / model.n_iter_


def faiss_iterations(points, k, threads, iterations):
    import faiss
    faiss.omp_set_num_threads(threads)
    kmeans = faiss.Kmeans(points.shape[1], k, niter=iterations, seed=1, verbose=False,
                          max_points_per_centroid=1 << 30, spherical=False)
    start = time.perf_counter()
    kmeans.train(points)
    return (time.perf_counter() - start) / iterations


def sklearn_fit(points, k, threads):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits
    with threadpool_limits(threads):
        start = time.perf_counter()
        model = KMeans(n_clusters=k, n_init=5, max_iter=300, tol=1e-4, random_state=0,
                       algorithm="lloyd").fit(points)
        return time.perf_counter() - start, float(model.inertia_)


def faiss_fit(points, k, threads):
    import faiss
    faiss.omp_set_num_threads(threads)
    kmeans = faiss.Kmeans(points.shape[1], k, niter=300, nredo=5, seed=1, verbose=False,
                          max_points_per_centroid=1 << 30)
    start = time.perf_counter()
    kmeans.train(points)
    seconds = time.perf_counter() - start
    distances, _ = kmeans.index.search(points, 1)
    return seconds, float(distances.sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kmlut", required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--fit-rows", type=int, default=256)
    parser.add_argument("--peer-iterations", type=int, default=5)
    parser.add_argument("--cases", type=parse_cases, default=CASES,
                        help="comma-separated dDkK cases (default: d 2, 4, 8 x k 16, 256)")
    parser.add_argument("--out", default=str(peer_env.REPO / "bench" / "results" / "vector"))
    parser.add_argument("--no-install", action="store_true")
    parser.add_argument("--venv", default=str(peer_env.DEFAULT_VENV))
    args = parser.parse_args()
    args.kmlut = os.path.abspath(args.kmlut)
    peer_env.ensure_venv(args.venv)
    status = peer_env.install_peers(not args.no_install)
    import numpy as np

    facts = peer_env.machine_facts()
    rng = np.random.default_rng(1)
    weight = (rng.standard_t(4, size=(args.rows, 4096)) * 0.02).astype(np.float16)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for d, n_bits in args.cases:
            k = 1 << n_bits
            label = f"{args.rows}x4096 d={d} k={k}"
            points = vectors_of(weight, d)
            mine = run_kmlut(args.kmlut, weight, d, n_bits, args.threads, work)
            per_iteration = mine["seconds"] / max(mine["iterations"], 1)
            rows.append({"case": label, "tool": "kmlut", "per_iteration_s": per_iteration,
                         "iterations": mine["iterations"], "fit_s": mine["seconds"],
                         "sse": mine["sse"]})
            for tool, measure, package in (("sklearn lloyd", sklearn_iterations, "scikit-learn"),
                                           ("faiss Kmeans", faiss_iterations, "faiss-cpu")):
                if status.get(package):
                    rows.append({"case": label, "tool": tool, "note": status[package]})
                    continue
                peer_env.log(f"{tool} {label}: {args.peer_iterations} iterations")
                seconds = measure(points, k, args.threads, args.peer_iterations)
                rows.append({"case": label, "tool": tool, "per_iteration_s": seconds,
                             "ratio": seconds / per_iteration})
            small = weight[:args.fit_rows]
            fit_label = f"{args.fit_rows}x4096 d={d} k={k} full fit"
            mine = run_kmlut(args.kmlut, small, d, n_bits, args.threads, work)
            rows.append({"case": fit_label, "tool": "kmlut", "fit_s": mine["seconds"],
                         "iterations": mine["iterations"], "sse": mine["sse"]})
            small_points = vectors_of(small, d)
            for tool, fit, package in (("sklearn lloyd", sklearn_fit, "scikit-learn"),
                                       ("faiss Kmeans", faiss_fit, "faiss-cpu")):
                if status.get(package):
                    rows.append({"case": fit_label, "tool": tool, "note": status[package]})
                    continue
                peer_env.log(f"{tool} {fit_label}")
                seconds, inertia = fit(small_points, k, args.threads)
                rows.append({"case": fit_label, "tool": tool, "fit_s": seconds,
                             "ratio": seconds / mine["seconds"], "sse": inertia})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "vector_peers.json").write_text(json.dumps({"machine": facts, "threads": args.threads,
                                                       "rows": rows}, indent=1))
    print(f"# {facts['cpu']}, {facts['cores']} cores, {args.threads} threads, {facts['date']}, "
          f"commit {facts['git_commit']}")
    print(f"{'case':34} {'tool':14} {'s/iteration':>12} {'iterations':>10} {'fit s':>9} "
          f"{'peer/kmlut':>10} {'SSE':>10}")
    for row in rows:
        def cell(key, fmt):
            return format(row[key], fmt) if key in row else ""
        print(f"{row['case']:34} {row['tool']:14} {cell('per_iteration_s', '12.5f')} "
              f"{cell('iterations', '10d')} {cell('fit_s', '9.2f')} {cell('ratio', '10.1f')} "
              f"{cell('sse', '10.4g')} {row.get('note', '')}")


if __name__ == "__main__":
    main()
