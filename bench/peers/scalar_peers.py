#!/usr/bin/env python3
"""kmlut's scalar palettization next to its peers, on the same data, in one table.

usage: python3 bench/peers/scalar_peers.py [--quick] [--json OUT] [--markdown OUT] [options]

Workloads (LLM-like weights: Student-t with 4 degrees of freedom x 0.02, fixed seeds):
  1  4096x4096 fp16, w4, per_grouped_channel axis 0, group_size 16 (256 LUTs)
  2  4096x11008 fp16, w4, per_tensor
  3  4096x4096 fp16, w8, per_tensor
  4  4096x4096 fp16, w6, per_grouped_channel axis 0, group_size 16
  5  16,777,216 fp32, w4, per_tensor, fast mode off (the all-values path)

Tools, per workload:
  kmlut 1 thread / 2 threads  build/bench/bench/kmlut_bench_scalar (Google Benchmark), median real
                              time over --repetitions runs.
  coremltools                 ct.optimize.coreml.palettize_weights on an mlprogram holding the weight
                              as a const feeding a linear (built with the MIL Builder); it reports
                              which clustering path the pass took (kmeans1d or sklearn).
  coremltools torch           ct.optimize.torch PostTrainingPalettizer on an nn.Linear; runs only
                              when torch is importable (this script never installs it).
  kmeans1d-weighted           the coreai_opt per-block loop (fp16 cast, round(x*1e4)/1e4 in float32,
                              np.unique, weighted kmeans1d bundled in coremltools), timed whole. Its
                              result is what kmlut computes, so its SSE is the "exact" reference.
  kmeans1d-weighted solver    the bundled C solver alone on the same per-block inputs (no Python
                              marshalling).
  kmeans1d (PyPI)             unweighted kmeans1d on all (fast-mode-rounded) values of each block,
                              timed whole, and its C solver alone.
  sklearn                     sklearn KMeans(lloyd, k-means++, n_init=1, random_state=0) on the raw
                              values of each block, at 1 and 2 threads (threadpoolctl).

A peer that would run past --budget seconds (--cap for the single-call coremltools paths) is
timed on the first N of M blocks (or, for a per-tensor workload, on an evenly strided subsample of
the values) and its time extrapolated linearly; such rows say so. See bench/peers/README.md for
the columns.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import importlib
import importlib.util
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REEXEC_MARK = "KMLUT_PEERS_IN_VENV"
HALF_MAX = 65504.0
PRECISION = 4  # coreai_opt's default rounding_precision

# module -> pip requirement for the peers this script needs (torch is deliberately absent).
PEER_MODULES = {
    "numpy": "numpy",
    "kmeans1d": "kmeans1d",
    "coremltools": "coremltools",
    "sklearn": "scikit-learn",
    "threadpoolctl": "threadpoolctl",
}

WORKLOADS = [
    dict(id=1, name="4096x4096 fp16 w4 grouped(axis 0, gs 16)", bench="BM_W4Group16_4096x4096",
         kind="f16", count=4096 * 4096, seed=1, shape=(4096, 4096), nbits=4, group=16, fast=True),
    dict(id=2, name="4096x11008 fp16 w4 per_tensor", bench="BM_W4PerTensor_4096x11008",
         kind="f16", count=4096 * 11008, seed=1, shape=(4096, 11008), nbits=4, group=None, fast=True),
    dict(id=3, name="4096x4096 fp16 w8 per_tensor", bench="BM_W8PerTensor_4096x4096",
         kind="f16", count=4096 * 4096, seed=1, shape=(4096, 4096), nbits=8, group=None, fast=True),
    dict(id=4, name="4096x4096 fp16 w6 grouped(axis 0, gs 16)", bench="BM_W6Group16_4096x4096",
         kind="f16", count=4096 * 4096, seed=1, shape=(4096, 4096), nbits=6, group=16, fast=True),
    dict(id=5, name="16M fp32 w4 per_tensor, fast mode off", bench="BM_AllValues16M_K16",
         kind="f32", count=1 << 24, seed=2, shape=(4096, 4096), nbits=4, group=None, fast=False,
         max_repetitions=1),  # registered with Iterations(1): one run is ~40 s plus data setup
]

# bench/bench_scalar.cpp's generator, byte for byte (same compiler, same <random>, same fp16
# rounding): compiled at run time into the data folder so that kmlut and the peers see one tensor.
GENERATOR_CPP = r"""
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>
#include "kmlut/numeric/fp16.hpp"
int main(int argc, char** argv) {
  if (argc != 5) return 2;
  const bool half = argv[1][0] == 'h';
  const std::size_t count = std::strtoull(argv[2], nullptr, 10);
  const unsigned seed = static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10));
  std::FILE* out = std::fopen(argv[4], "wb");
  if (!out) return 3;
  std::mt19937_64 generator(seed);
  std::student_t_distribution<float> t(4.0f);
  const std::size_t chunk = std::size_t{1} << 20;
  std::vector<std::uint16_t> halves;
  std::vector<float> floats;
  for (std::size_t done = 0; done < count; done += chunk) {
    const std::size_t n = count - done < chunk ? count - done : chunk;
    if (half) {
      halves.resize(n);
      for (auto& v : halves) v = kmlut::numeric::float_to_half_bits(t(generator) * 0.02f);
      if (std::fwrite(halves.data(), 2, n, out) != n) return 4;
    } else {
      floats.resize(n);
      for (auto& v : floats) v = t(generator) * 0.02f;
      if (std::fwrite(floats.data(), 4, n, out) != n) return 4;
    }
  }
  return std::fclose(out) == 0 ? 0 : 5;
}
"""


def log(message):
    print(f"[peers {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# Environment: venv, peer modules, machine facts


def ensure_venv(args):
    """Re-runs this script with the venv's python (creating the venv when it is missing)."""
    venv = Path(args.venv).resolve()
    python = venv / "bin" / "python"
    if Path(sys.prefix).resolve() == venv:
        return
    if os.environ.get(REEXEC_MARK):
        log(f"warning: still not running inside {venv}; going on with {sys.executable}")
        return
    if not python.exists():
        log(f"creating venv {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        requirements = REPO / "scripts" / "requirements-test.txt"
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "-r", str(requirements)], check=False)
    os.environ[REEXEC_MARK] = "1"
    os.execv(str(python), [str(python), str(Path(__file__).resolve())] + sys.argv[1:])


def ensure_peer_modules(args):
    """{module: None if importable else reason}; one pip install attempt for the missing ones."""
    def missing_now():
        importlib.invalidate_caches()
        return [m for m in PEER_MODULES if importlib.util.find_spec(m) is None]

    missing = missing_now()
    if missing and not args.no_install:
        requirements = [PEER_MODULES[m] for m in missing]
        log(f"pip install {' '.join(requirements)} (once)")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *requirements], check=False)
        missing = missing_now()
    status = {m: None for m in PEER_MODULES}
    for m in missing:
        status[m] = f"not installed ({PEER_MODULES[m]}: pip install failed or was skipped)"
    return status


def module_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:  # noqa: BLE001
        return None


def machine_facts():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"],
                               capture_output=True, text=True, check=True).stdout.strip()
        commit += " (+ uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": affinity,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "git_commit": commit,
        "load_average_start": list(os.getloadavg()),
        "versions": {p: module_version(p) for p in
                     ("numpy", "kmeans1d", "coremltools", "scikit-learn", "threadpoolctl")},
    }


# ----------------------------------------------------------------------------------------------
# Data


def generator_binary(data_dir):
    exe = data_dir / "bench_data_gen"
    source = data_dir / "bench_data_gen.cpp"
    if exe.exists() and source.exists() and source.read_text() == GENERATOR_CPP:
        return exe
    compiler = None
    cache = REPO / "build" / "bench" / "CMakeCache.txt"
    if cache.exists():
        for line in cache.read_text().splitlines():
            if line.startswith("CMAKE_CXX_COMPILER:"):
                compiler = line.split("=", 1)[1].strip()
    compiler = compiler or shutil.which("c++") or shutil.which("g++")
    if not compiler:
        raise RuntimeError("no C++ compiler for the bench-identical data generator")
    source.write_text(GENERATOR_CPP)
    subprocess.run([compiler, "-O3", "-std=c++17", f"-I{REPO / 'include'}", str(source), "-o",
                    str(exe)], check=True)
    return exe


def load_data(workload, args):
    import numpy as np
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    kind, count, seed = workload["kind"], workload["count"], workload["seed"]
    path = data_dir / f"{args.data}-{kind}-{count}-seed{seed}.npy"
    if not path.exists():
        log(f"generating {path.name} ({args.data})")
        if args.data == "bench":
            raw = data_dir / (path.stem + ".raw")
            subprocess.run([str(generator_binary(data_dir)), "h" if kind == "f16" else "f", str(count), str(seed),
                            str(raw)], check=True)
            values = np.fromfile(raw, dtype=np.uint16 if kind == "f16" else np.float32)
            raw.unlink()
            if kind == "f16":
                values = values.view(np.float16)
        else:
            rng = np.random.default_rng(seed)
            values = rng.standard_t(4, count).astype(np.float32) * np.float32(0.02)
            if kind == "f16":
                values = values.astype(np.float16)
        np.save(path, values)
    values = np.load(path)
    rows, cols = workload["shape"]
    return values[: rows * cols].reshape(rows, cols)


def blocks_of(w, group):
    if group is None:
        return [w]
    return [w[start:start + group] for start in range(0, w.shape[0], group)]


# ----------------------------------------------------------------------------------------------
# Helpers: SSE, nearest-centroid assignment, budgeted loops


def sse_of(block, lut, labels):
    """Σ (W − Ŵ)² in float64, Ŵ = LUT cast to the weight's dtype, indexed by the labels."""
    import numpy as np
    table = np.asarray(lut, dtype=np.float64).astype(block.dtype).astype(np.float64)
    error = block.reshape(-1).astype(np.float64) - table[np.asarray(labels).reshape(-1)]
    return float(np.dot(error, error))


def nearest_labels(values, centroids):
    import numpy as np
    centroids = np.asarray(centroids, dtype=np.float64)
    order = np.argsort(centroids)
    sorted_c = centroids[order]
    mids = (sorted_c[1:] + sorted_c[:-1]) / 2
    return order[np.searchsorted(mids, values.reshape(-1).astype(np.float64))], centroids


def fast_mode_values(block, fast):
    """coreai_opt _cluster_weights_1d: (values to cluster, whether the unique path runs)."""
    import numpy as np
    x = block.reshape(-1)
    if x.dtype == np.float16 or (fast and x.max() <= HALF_MAX and x.min() >= -HALF_MAX):
        if fast:
            x = x.astype(np.float16)
            scale = 10 ** PRECISION
            x = np.round(x.astype(np.float32) * scale) / scale
        return x, True
    return x, False


def pad_lut(centroids, size):
    centroids = list(centroids)
    return centroids + [centroids[-1]] * (size - len(centroids))


def run_blocks(blocks, per_block, budget):
    """Runs per_block(i, block) in order until the budget is spent; (seconds, blocks done)."""
    elapsed = 0.0
    done = 0
    for i, block in enumerate(blocks):
        start = time.perf_counter()
        per_block(i, block)
        elapsed += time.perf_counter() - start
        done += 1
        if elapsed >= budget and done < len(blocks):
            break
    return elapsed, done


def strided_subsample(w, n_sub):
    import numpy as np
    flat = w.reshape(-1)
    stride = max(1, flat.size // n_sub)
    return np.ascontiguousarray(flat[::stride][:n_sub])


def c_solver(dll, values, k, weights=None):
    """The kmeans1d C entry point on float64 buffers (what the Python wrapper does after its
    ctypes marshalling)."""
    import numpy as np
    n = len(values)
    k = min(k, n)
    x = np.ascontiguousarray(values, dtype=np.float64)
    clusters = np.empty(n, dtype=np.uint64)
    centroids = np.empty(k, dtype=np.float64)
    pd = ctypes.POINTER(ctypes.c_double)
    pu = ctypes.POINTER(ctypes.c_ulong)
    if weights is None:
        dll.cluster(x.ctypes.data_as(pd), ctypes.c_ulong(n), ctypes.c_ulong(k),
                    clusters.ctypes.data_as(pu), centroids.ctypes.data_as(pd))
    else:
        wts = np.ascontiguousarray(weights, dtype=np.float64)
        dll.cluster_with_weights(x.ctypes.data_as(pd), wts.ctypes.data_as(pd), ctypes.c_ulong(n),
                                 ctypes.c_ulong(k), clusters.ctypes.data_as(pu),
                                 centroids.ctypes.data_as(pd))
    return clusters, centroids


# ----------------------------------------------------------------------------------------------
# kmlut (Google Benchmark binary)


def build_bench(args):
    binary = Path(args.bench_binary) if args.bench_binary else \
        REPO / "build" / "bench" / "bench" / "kmlut_bench_scalar"
    if args.no_build:
        return binary if binary.exists() else None, None if binary.exists() else "binary missing"
    build_dir = REPO / "build" / "bench"
    configure = ["cmake", "-S", str(REPO), "-B", str(build_dir), "-G", "Ninja",
                 "-DKMLUT_CUDA=OFF", "-DKMLUT_BUILD_BENCH=ON", "-DKMLUT_BUILD_TESTS=OFF",
                 "-DKMLUT_BUILD_CLI=OFF", "-DCMAKE_BUILD_TYPE=Release"]
    build = ["ninja", "-j2", "-C", str(build_dir), "kmlut_bench_scalar"]
    error = None
    for attempt in range(2):
        try:
            log("building kmlut_bench_scalar" + (" (retry)" if attempt else ""))
            subprocess.run(configure, check=True, capture_output=True, text=True)
            subprocess.run(build, check=True, capture_output=True, text=True)
            return build_dir / "bench" / "kmlut_bench_scalar", None
        except (OSError, subprocess.CalledProcessError) as e:
            tail = (getattr(e, "stdout", "") or "") + (getattr(e, "stderr", "") or "")
            error = f"build failed: {tail.strip().splitlines()[-1] if tail.strip() else e}"
            log(error)
            if attempt == 0:
                log("someone's file may be mid-edit; retrying in 60 s")
                time.sleep(60)
    if binary.exists():
        return binary, f"stale binary used ({error})"
    return None, error


def run_kmlut(binary, workload, repetitions):
    """{threads: dict(seconds=median, runs=[...])} from the bench's JSON output."""
    command = [str(binary), f"--benchmark_filter=^{workload['bench']}/",
               "--benchmark_format=json", f"--benchmark_repetitions={repetitions}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    runs = {}
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    for entry in report["benchmarks"]:
        if entry.get("run_type") != "iteration":
            continue
        threads = int(entry["name"].split("/")[1])
        runs.setdefault(threads, []).append(entry["real_time"] * scale[entry["time_unit"]])
    return {t: dict(seconds=statistics.median(r), runs=r) for t, r in runs.items()}, \
        report.get("context", {})


# ----------------------------------------------------------------------------------------------
# Peers


def peer_kmeans1d_weighted(workload, blocks, bundled, budget_solver, exact_all_values):
    """The coreai_opt loop with the bundled weighted kmeans1d: whole loop, then solver alone.
    Always runs every block: its per-block SSE is the exact reference."""
    import numpy as np
    size = 1 << workload["nbits"]
    x0, unique0 = fast_mode_values(blocks[0], workload["fast"])
    if len(blocks) == 1 and not unique0 and x0.size > (1 << 20):
        return all_values_weighted(workload, blocks[0], x0, bundled, exact_all_values)
    sse = np.zeros(len(blocks))
    inputs = [None] * len(blocks)
    wrapper_time = [0.0]
    unique_counts = []

    def per_block(i, block):
        x, unique_path = fast_mode_values(block, workload["fast"])
        if unique_path:
            values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
            k = min(len(values), size)
            t0 = time.perf_counter()
            clusters, centroids = bundled.cluster(values, k, weights=counts)
            wrapper_time[0] += time.perf_counter() - t0
            labels = np.asarray(clusters)[inverse.reshape(-1)]
            inputs[i] = (values, counts, k)
            unique_counts.append(len(values))
        else:
            k = min(len(x), size)
            t0 = time.perf_counter()
            labels, centroids = bundled.cluster(x, k)
            wrapper_time[0] += time.perf_counter() - t0
            labels = np.asarray(labels)
            inputs[i] = (x, None, k)
        # SSE is bookkeeping, not timed.
        t1 = time.perf_counter()
        sse[i] = sse_of(block, pad_lut(centroids, size), labels)
        untimed[0] += time.perf_counter() - t1

    untimed = [0.0]
    elapsed, done = run_blocks(blocks, per_block, float("inf"))
    elapsed -= untimed[0]
    unique_path = unique_counts != []
    note = ("unique path: fast-mode rounding + np.unique + weighted solver; "
            f"{statistics.mean(unique_counts):.0f} unique values per block on average"
            if unique_path else "fast mode off: unweighted solver on all values")
    loop = dict(seconds=elapsed, blocks_timed=done, blocks=len(blocks), sse=float(sse.sum()),
                notes=note + f"; kmeans1d.cluster() calls incl. ctypes marshalling "
                             f"{wrapper_time[0]:.3f} s")

    dll = bundled.core._DLL

    def solver_block(i, _block):
        values, counts, k = inputs[i]
        c_solver(dll, values, k, counts)

    solver_notes = ("C cluster%s() on float64 buffers, inputs prepared outside the timer"
                    % ("_with_weights" if unique_path else ""))
    s_elapsed, s_done = run_blocks(blocks, solver_block, budget_solver)
    solver = dict(seconds=s_elapsed, blocks_timed=s_done, blocks=len(blocks),
                  sse=float(sse[:s_done].sum()), sse_blocks=s_done, notes=solver_notes)
    return loop, solver, sse


def all_values_weighted(workload, w, x, bundled, exact_all_values):
    """The all-values path on one big tensor (workload 5). The Python wrapper's loop (its ctypes
    marshalling costs more than the solver) is timed on a strided subsample and extrapolated. The
    C solver runs whole only with --exact-all-values (minutes): it is then the exact reference."""
    import numpy as np
    size = 1 << workload["nbits"]
    n = x.size
    k = min(n, size)
    probe_n = 1 << 20
    if exact_all_values:
        log("    exact reference: C solver on all values")
        start = time.perf_counter()
        clusters, centroids = c_solver(bundled.core._DLL, x, k)
        solver_seconds = time.perf_counter() - start
        sse = np.array([sse_of(w, pad_lut(centroids, size), clusters.astype(np.int64))])
        solver = dict(seconds=solver_seconds, sse=float(sse[0]),
                      notes="C cluster() on float64 buffers, all values; this run is the exact "
                            "reference")
    else:
        sub = strided_subsample(x, probe_n)
        start = time.perf_counter()
        c_solver(bundled.core._DLL, sub, k)
        measured = time.perf_counter() - start
        sse = None
        solver = dict(seconds=measured * n / probe_n, measured_seconds=measured,
                      subsample=probe_n, n=n,
                      extrapolated=f"from a {probe_n:,}-value strided subsample of {n:,}",
                      sse=None, sse_text="n/a (see --exact-all-values)",
                      notes="C cluster() on float64 buffers")
    sub = strided_subsample(x, probe_n)
    start = time.perf_counter()
    labels, _ = bundled.cluster(sub, k)
    labels = np.asarray(labels)
    measured = time.perf_counter() - start
    loop = dict(seconds=measured * n / probe_n, measured_seconds=measured, subsample=probe_n, n=n,
                extrapolated=f"from a {probe_n:,}-value strided subsample of {n:,}",
                sse=None, sse_text="= exact (same solver)",
                notes="fast mode off: kmeans1d.cluster(x, k) on all values (most of it is the "
                      "wrapper's ctypes marshalling)")
    return loop, solver, sse


def peer_kmeans1d_pypi(workload, blocks, pypi, budget, exact_sse):
    """PyPI kmeans1d (unweighted): all fast-mode-rounded values of each block."""
    import numpy as np
    size = 1 << workload["nbits"]
    results = []
    per_tensor = len(blocks) == 1
    w = blocks[0]
    dll = pypi.core._DLL

    last_centroids = [None]

    def loop_and_solver(block_list, budget_each):
        sse = np.zeros(len(block_list))
        inputs = []

        def per_block(i, block):
            x, _ = fast_mode_values(block, workload["fast"])
            labels, centroids = pypi.cluster(x, min(len(x), size))
            labels = np.asarray(labels)
            inputs.append(x)
            last_centroids[0] = centroids
            t1 = time.perf_counter()
            sse[i] = sse_of(block, pad_lut(centroids, size), labels)
            untimed[0] += time.perf_counter() - t1

        untimed = [0.0]
        elapsed, done = run_blocks(block_list, per_block, budget_each)
        elapsed -= untimed[0]

        def solver_block(i, _block):
            c_solver(dll, inputs[i], min(len(inputs[i]), size))

        s_elapsed, s_done = run_blocks(block_list[:done], solver_block, budget_each / 2)
        return (elapsed, done, sse), (s_elapsed, s_done)

    if not per_tensor:
        (elapsed, done, sse), (s_elapsed, s_done) = loop_and_solver(blocks, budget)
        results.append(dict(seconds=elapsed, blocks_timed=done, blocks=len(blocks),
                            sse=float(sse[:done].sum()), sse_blocks=done,
                            notes="unweighted solver on all rounded values of each block"))
        results.append(dict(seconds=s_elapsed, blocks_timed=s_done, blocks=len(blocks),
                            sse=float(sse[:s_done].sum()), sse_blocks=s_done,
                            notes="C cluster() on float64 buffers"))
        return results

    # Per tensor: probe on a 2^20 strided subsample; run the whole tensor only when the estimate
    # fits the budget and the DP tables (16 B * k * n) fit in --kmeans1d-mem-gib.
    n = w.size
    probe_n = min(n, 1 << 20 if size <= 16 else 1 << 17)
    sub = strided_subsample(w, probe_n)
    (elapsed, _, sse), (s_elapsed, _) = loop_and_solver([sub], float("inf"))
    probe_centroids = last_centroids[0]
    if probe_n == n:
        return [dict(seconds=elapsed, sse=float(sse[0]),
                     notes="unweighted solver on all rounded values"),
                dict(seconds=s_elapsed, sse=float(sse[0]), notes="C cluster() on float64 buffers")]
    estimate = elapsed * n / probe_n
    fits = 16 * size * n <= ARGS.kmeans1d_mem_gib * 2**30
    if estimate <= budget and fits:
        (elapsed, _, sse), (s_elapsed, _) = loop_and_solver([w], float("inf"))
        results.append(dict(seconds=elapsed, sse=float(sse[0]),
                            notes="unweighted solver on all rounded values"))
        results.append(dict(seconds=s_elapsed, sse=float(sse[0]),
                            notes="C cluster() on float64 buffers"))
        return results
    why = []
    if estimate > budget:
        why.append(f"~{estimate:.0f} s")
    if not fits:
        why.append(f"DP tables {16 * size * n / 2**30:.1f} GiB")
    # Quality: centroids fit on the subsample, every value assigned to its nearest centroid.
    x_all, _ = fast_mode_values(w, workload["fast"])
    labels, centroids = nearest_labels(x_all, probe_centroids)
    sse = sse_of(w, centroids, labels)
    extra = dict(extrapolated=f"from a {probe_n:,}-value strided subsample of {n:,} "
                              f"(full run: {', '.join(why)})", subsample=probe_n, n=n,
                 sse=sse, sse_subsample_fit=True)
    results.append(dict(seconds=elapsed * n / probe_n, measured_seconds=elapsed,
                        notes="unweighted solver on all rounded values", **extra))
    results.append(dict(seconds=s_elapsed * n / probe_n, measured_seconds=s_elapsed,
                        notes="C cluster() on float64 buffers", **extra))
    return results


def peer_sklearn(workload, blocks, threads, budget):
    import numpy as np
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits
    size = 1 << workload["nbits"]
    iterations = []

    def fit(values):
        x = values.reshape(-1, 1).astype(np.float32)
        model = KMeans(n_clusters=min(size, len(x)), algorithm="lloyd", init="k-means++",
                       n_init=1, random_state=0)
        model.fit(x)
        iterations.append(model.n_iter_)
        return model

    with threadpool_limits(limits=threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(blocks) > 1:
            sse = np.zeros(len(blocks))

            def per_block(i, block):
                model = fit(block)
                t1 = time.perf_counter()
                sse[i] = sse_of(block, pad_lut(model.cluster_centers_[:, 0], size), model.labels_)
                untimed[0] += time.perf_counter() - t1

            untimed = [0.0]
            elapsed, done = run_blocks(blocks, per_block, budget)
            elapsed -= untimed[0]
            return dict(seconds=elapsed, blocks_timed=done, blocks=len(blocks),
                        sse=float(sse[:done].sum()), sse_blocks=done,
                        notes=f"raw values, mean {statistics.mean(iterations):.0f} Lloyd iterations")
        w = blocks[0]
        n = w.size
        probe_n = min(n, 1 << 20 if size <= 16 else 1 << 18)
        sub = strided_subsample(w, probe_n)
        start = time.perf_counter()
        model = fit(sub)
        elapsed = time.perf_counter() - start
        if probe_n == n or elapsed * n / probe_n <= budget:
            if probe_n < n:
                start = time.perf_counter()
                model = fit(w)
                elapsed = time.perf_counter() - start
            return dict(seconds=elapsed, sse=sse_of(w, pad_lut(model.cluster_centers_[:, 0], size),
                                                    model.labels_),
                        notes=f"raw values, {iterations[-1]} Lloyd iterations")
        labels, centroids = nearest_labels(w, model.cluster_centers_[:, 0])
        return dict(seconds=elapsed * n / probe_n, measured_seconds=elapsed, subsample=probe_n, n=n,
                    extrapolated=f"from a {probe_n:,}-value strided subsample of {n:,} "
                                 f"(full run ~{elapsed * n / probe_n:.0f} s)",
                    sse=sse_of(w, centroids, labels), sse_subsample_fit=True,
                    notes=f"raw values, {iterations[-1]} Lloyd iterations on the subsample")


@contextlib.contextmanager
def quiet_stderr():
    """Silences coremltools' import chatter and progress bars (fd level); replays on error."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            tail = sink.read().decode(errors="replace")[-4000:]
            if tail.strip():
                print(tail, file=sys.stderr)
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_coremltools():
    os.environ.setdefault("TQDM_DISABLE", "1")
    logging.getLogger("coremltools").setLevel(logging.ERROR)
    with quiet_stderr(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import coremltools as ct
        from coremltools.converters.mil import Builder as mb
        from coremltools.converters.mil.mil import types
        from coremltools.models.neural_network import quantization_utils
        from coremltools.optimize.coreml import _quantization_passes
    logging.getLogger("coremltools").setLevel(logging.ERROR)
    return ct, mb, types, quantization_utils, _quantization_passes


def probe_then_run(run, workload, w, cap):
    """Single-shot peers (one call over the whole tensor). A probe runs first: the first
    PROBE_GROUPS groups as their own weight, or (per tensor) a 2^20-value strided subsample as a
    1024-row weight. The whole tensor runs only when the probe predicts at most `cap` seconds;
    otherwise the probe's time is extrapolated linearly."""
    group = workload["group"]
    if group:
        groups = w.shape[0] // group
        if groups <= PROBE_GROUPS:
            return run(w)
        probe_w, scale = w[:PROBE_GROUPS * group], groups / PROBE_GROUPS
    else:
        if w.size <= PROBE_VALUES:
            return run(w)
        probe_w = strided_subsample(w, PROBE_VALUES).reshape(1024, -1)
        scale = w.size / PROBE_VALUES
    probe = run(probe_w)
    estimate = probe["seconds"] * scale
    if estimate <= cap:
        return run(w)
    if group:
        probe.update(blocks_timed=PROBE_GROUPS, blocks=groups, sse_blocks=PROBE_GROUPS,
                     notes=probe["notes"] + f"; timed on the first {PROBE_GROUPS * group} rows as "
                                            f"their own weight (whole run ~{estimate:.0f} s > cap "
                                            f"{cap:g} s)")
    else:
        probe.update(seconds=estimate, measured_seconds=probe["seconds"], sse=None,
                     sse_text="n/a (not run whole)", subsample=PROBE_VALUES, n=w.size,
                     extrapolated=f"from a {PROBE_VALUES:,}-value strided subsample of {w.size:,} "
                                  f"run as a 1024x1024 weight (whole run ~{estimate:.0f} s > cap "
                                  f"{cap:g} s)")
    return probe


def peer_coremltools(workload, w, cap):
    return probe_then_run(lambda weight: coremltools_run(workload, weight), workload, w, cap)


PROBE_VALUES = 1 << 20
PROBE_GROUPS = 32


def coremltools_run(workload, w):
    """ct.optimize.coreml.palettize_weights on an mlprogram: const weight -> linear."""
    import numpy as np
    from threadpoolctl import threadpool_limits
    ct, mb, types, qu, qp = import_coremltools()
    fp16 = w.dtype == np.float16

    start = time.perf_counter()
    with quiet_stderr(), warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @mb.program(input_specs=[mb.TensorSpec(shape=(1, w.shape[1]),
                                               dtype=types.fp16 if fp16 else types.fp32)],
                    opset_version=ct.target.iOS18)
        def prog(x):
            return mb.linear(x=x, weight=w, name="y")

        model = ct.convert(prog, convert_to="mlprogram", minimum_deployment_target=ct.target.iOS18,
                           compute_precision=ct.precision.FLOAT16 if fp16 else
                           ct.precision.FLOAT32, skip_model_load=True)
    build_seconds = time.perf_counter() - start

    if workload["group"]:
        op_config = ct.optimize.coreml.OpPalettizerConfig(
            mode="kmeans", nbits=workload["nbits"], granularity="per_grouped_channel",
            group_size=workload["group"], channel_axis=0, weight_threshold=1_000_000)
    else:
        op_config = ct.optimize.coreml.OpPalettizerConfig(
            mode="kmeans", nbits=workload["nbits"], granularity="per_tensor",
            weight_threshold=1_000_000)
    config = ct.optimize.coreml.OptimizationConfig(global_config=op_config)

    # Count which clustering path the pass takes and how long its compress step runs.
    counts = {"kmeans1d": 0, "sklearn": 0}
    inner = [0.0]
    original_k1d = qu._kmeans1d
    original_bc = qp.palettize_weights.__dict__["blockwise_compress"]
    from sklearn.cluster import KMeans
    original_fit = KMeans.fit

    class CountingKmeans1d:
        def cluster(self, *a, **k):
            counts["kmeans1d"] += 1
            return original_k1d.cluster(*a, **k)

    def counting_fit(self, *a, **k):
        counts["sklearn"] += 1
        return original_fit(self, *a, **k)

    def timed_blockwise(*a, **k):
        t0 = time.perf_counter()
        try:
            return original_bc.__func__(*a, **k)
        finally:
            inner[0] += time.perf_counter() - t0

    qu._kmeans1d = CountingKmeans1d()
    KMeans.fit = counting_fit
    qp.palettize_weights.blockwise_compress = staticmethod(timed_blockwise)
    try:
        with quiet_stderr(), warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            compressed = ct.optimize.coreml.palettize_weights(model, config)
            seconds = time.perf_counter() - start
    finally:
        qu._kmeans1d = original_k1d
        KMeans.fit = original_fit
        qp.palettize_weights.blockwise_compress = original_bc

    lut_ops = [op for op in compressed._mil_program.functions["main"].operations
               if op.op_type == "constexpr_lut_to_dense"]
    if len(lut_ops) != 1:
        raise RuntimeError(f"expected one constexpr_lut_to_dense, found {len(lut_ops)}")
    indices = np.asarray(lut_ops[0].indices.val)
    lut = np.asarray(lut_ops[0].lut.val)  # [groups, 1, 2^nbits, 1]
    if indices.shape != w.shape or lut.shape[1] != 1 or lut.shape[3] != 1:
        raise RuntimeError(f"unexpected layout: indices {indices.shape}, lut {lut.shape}")
    rows_per_group = w.shape[0] // lut.shape[0]
    sse = 0.0
    for g in range(lut.shape[0]):
        rows = slice(g * rows_per_group, (g + 1) * rows_per_group)
        sse += sse_of(w[rows], lut[g, 0, :, 0], indices[rows].astype(np.int64))
    paths = ", ".join(f"{name} x{n}" for name, n in counts.items() if n)
    return dict(seconds=seconds, sse=sse,
                notes=f"path: {paths or 'none'}; blockwise_compress {inner[0]:.2f} s of the call; "
                      f"1 thread; model build (ct.convert) {build_seconds:.1f} s not counted",
                path_counts=counts, blockwise_compress_seconds=inner[0],
                model_build_seconds=build_seconds)


def torch_run(workload, w):
    """coremltools.optimize.torch PostTrainingPalettizer on a bias-free nn.Linear holding w."""
    import numpy as np
    import torch
    from coremltools.optimize.torch.palettization import (PostTrainingPalettizer,
                                                          PostTrainingPalettizerConfig)
    linear = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
    linear = linear.half() if w.dtype == np.float16 else linear
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
    model = torch.nn.Sequential(linear)
    config = {"n_bits": workload["nbits"], "enable_fast_kmeans_mode": workload["fast"]}
    if workload["group"]:
        config.update(granularity="per_grouped_channel", group_size=workload["group"],
                      channel_axis=0)
    else:
        config.update(granularity="per_tensor")
    palettizer = PostTrainingPalettizer(
        model, PostTrainingPalettizerConfig.from_dict({"global_config": config}))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with quiet_stderr(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            compressed = palettizer.compress(num_kmeans_workers=1)
            seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    dense = compressed[0].weight.detach().numpy()
    error = w.astype(np.float64) - dense.astype(np.float64)
    return dict(seconds=seconds, sse=float(np.sum(error * error)),
                notes=f"PostTrainingPalettizer.compress(num_kmeans_workers=1), torch "
                      f"{torch.__version__}, 1 torch thread; fast mode "
                      f"{'on' if workload['fast'] else 'off'}")


def peer_torch(workload, w, cap):
    os.environ.setdefault("TQDM_DISABLE", "1")
    logging.getLogger("coremltools").setLevel(logging.ERROR)
    with quiet_stderr(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torch  # noqa: F401
        import coremltools.optimize.torch.palettization  # noqa: F401
    logging.getLogger("coremltools").setLevel(logging.ERROR)
    return probe_then_run(lambda weight: torch_run(workload, weight), workload, w, cap)


# ----------------------------------------------------------------------------------------------
# Rows and output


def finish_row(row, numel, kmlut1, exact_per_block, exact_total):
    seconds = row.get("seconds")
    if seconds is None:
        return row
    blocks, timed = row.get("blocks"), row.get("blocks_timed")
    if blocks and timed and timed < blocks:
        row["measured_seconds"] = seconds
        row["seconds"] = seconds * blocks / timed
        row["extrapolated"] = f"from the first {timed} of {blocks} blocks"
    row["weights_per_s"] = numel / row["seconds"]
    row["ratio_vs_kmlut_1t"] = row["seconds"] / kmlut1 if kmlut1 else None
    if row.get("sse") is not None and not exact_total:
        row.setdefault("sse_text", "n/a (no exact reference; see --exact-all-values)")
    if row.get("sse") is not None and exact_total:
        n = row.get("sse_blocks")
        reference = float(exact_per_block[:n].sum()) if n else exact_total
        if row.get("sse_subsample_fit"):
            # Centroids fit on a subsample say little about the full fit (k=256 above all):
            # kept in the JSON, not shown in the table.
            row["sse_vs_exact_subsample_fit"] = row["sse"] / reference
            row.setdefault("sse_text", "n/a (not run whole)")
        else:
            row["sse_vs_exact"] = row["sse"] / reference
            if n and n < len(exact_per_block):
                row["sse_scope"] = f"{n} of {len(exact_per_block)} blocks"
    return row


def fmt_rate(r):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if r >= scale:
            return f"{r / scale:.3g} {unit}/s"
    return f"{r:.3g} /s"


def format_table(results):
    header = ["workload", "tool", "seconds", "weights/s", "× kmlut-1t", "SSE / exact", "notes"]
    lines = []
    for workload in results["workloads"]:
        for row in workload["rows"]:
            seconds = row.get("seconds")
            status = row.get("status")
            mark = " (E)" if row.get("extrapolated") else ""
            cells = [
                f"{workload['id']}: {workload['name']}",
                row["tool"],
                f"{seconds:.3f}{mark}" if seconds is not None else (status or "n/a"),
                fmt_rate(row["weights_per_s"]) if seconds else "",
                f"{row['ratio_vs_kmlut_1t']:.2f}" if row.get("ratio_vs_kmlut_1t") else "",
                (f"{row['sse_vs_exact']:.6f}" + (" (S)" if row.get("sse_scope") else ""))
                if row.get("sse_vs_exact") is not None else row.get("sse_text", "n/a"),
                "; ".join(x for x in (row.get("extrapolated") and
                                      f"extrapolated {row['extrapolated']}",
                                      row.get("sse_scope") and f"SSE on {row['sse_scope']}",
                                      row.get("notes")) if x),
            ]
            lines.append(cells)
    table = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    table += ["| " + " | ".join(c.replace("|", "/") for c in cells) + " |" for cells in lines]
    return "\n".join(table)


def format_report(results):
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    out = [
        "## kmlut scalar palettization vs peers",
        "",
        f"- date: {m['date']}; machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable),"
        f" {m['memory_gib']} GiB; {m['os']}",
        f"- kmlut commit: {m['git_commit']}; bench binary: {results.get('bench_binary')}"
        + (f" ({results['bench_note']})" if results.get("bench_note") else ""),
        f"- Python {m['python']}: {versions}",
        f"- load average at start {', '.join(f'{x:.2f}' for x in m['load_average_start'])}, "
        f"at end {', '.join(f'{x:.2f}' for x in results.get('load_average_end', []))} "
        "(the machine was shared: expect noise)",
        f"- data: {results['data_note']}",
        f"- kmlut: median of {results['repetitions']} repetitions; peers: one run each; "
        f"budget {results['budget']} s per peer and workload; mode: "
        f"{'quick' if results['quick'] else 'full'}",
        "",
        format_table(results),
        "",
        "(E) extrapolated linearly from the part that was timed (see notes). (S) SSE ratio on the "
        "timed blocks only. SSE / exact: Σ(W−Ŵ)² over the original values "
        "(float64, LUT cast to the weight dtype) divided by that of the exact reference "
        "(kmeans1d-weighted, the coreai_opt computation kmlut reproduces). kmlut's own SSE is not "
        "reported by kmlut_bench_scalar.",
    ]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="workload 1 only, small subsets (< 2 minutes)")
    parser.add_argument("--workloads", default=None, help="comma-separated ids (default: all)")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="OUT", help="write the report as Markdown")
    parser.add_argument("--venv", default=str(REPO / ".venv"))
    parser.add_argument("--no-install", action="store_true", help="never pip install a peer")
    parser.add_argument("--bench-binary", help="kmlut_bench_scalar to run (default: build it)")
    parser.add_argument("--no-build", action="store_true", help="do not (re)build the bench")
    parser.add_argument("--repetitions", type=int, default=None,
                        help="kmlut benchmark repetitions (default 5, quick 3)")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds per peer and workload before extrapolating "
                             "(default 15, quick 4)")
    parser.add_argument("--cap", type=float, default=60.0,
                        help="a single coremltools/torch run predicted longer than this is timed "
                             "on a probe and extrapolated (default 60)")
    parser.add_argument("--exact-all-values", action="store_true",
                        help="workload 5: run the exact all-values solver whole (minutes) for the "
                             "SSE reference")
    parser.add_argument("--kmeans1d-mem-gib", type=float, default=4.0,
                        help="largest PyPI kmeans1d DP tables (16 B * k * n) run whole")
    parser.add_argument("--data", choices=("bench", "numpy"), default="bench",
                        help="bench: bench_scalar.cpp's own generator (identical tensors to what "
                             "kmlut is timed on); numpy: default_rng(seed).standard_t(4) * 0.02")
    parser.add_argument("--data-dir", default=str(REPO / "build" / "peers-data"))
    args = parser.parse_args()
    ensure_venv(args)
    global ARGS
    ARGS = args
    quick = args.quick
    repetitions = args.repetitions or (3 if quick else 5)
    budget = args.budget if args.budget is not None else (4.0 if quick else 15.0)
    wanted = [1] if quick else [int(x) for x in (args.workloads or "1,2,3,4,5").split(",")]

    status = ensure_peer_modules(args)
    if status["numpy"]:
        sys.exit("numpy is required")
    import numpy as np  # noqa: F401

    results = dict(machine=machine_facts(), quick=quick, repetitions=repetitions, budget=budget,
                   workloads=[])
    results["data_note"] = (
        "bench_scalar.cpp's generator (std::mt19937_64 + std::student_t_distribution<float>(4) "
        "x 0.02f, seeds 1/2), recompiled here, so kmlut and the peers see identical tensors"
        if args.data == "bench" else
        "numpy default_rng(seed).standard_t(4) x 0.02 (seeds 1/2): kmlut's bench generates its "
        "own tensors of the same distribution, not these")

    binary, bench_note = build_bench(args)
    results["bench_binary"] = str(binary) if binary else None
    results["bench_note"] = bench_note

    bundled = pypi = None
    bundled_error = status["coremltools"]
    if not bundled_error:
        try:
            sys.dont_write_bytecode = True  # leave no __pycache__ in tests/oracles
            sys.path.insert(0, str(REPO / "tests" / "oracles"))
            from kmeans1d_oracle import load_bundled_kmeans1d
            bundled = load_bundled_kmeans1d()
        except Exception as e:  # noqa: BLE001
            bundled_error = f"failed: {e}"
    if not status["kmeans1d"]:
        import kmeans1d as pypi
    torch_found = importlib.util.find_spec("torch") is not None

    for workload in WORKLOADS:
        if workload["id"] not in wanted:
            continue
        log(f"workload {workload['id']}: {workload['name']}")
        w = load_data(workload, args)
        blocks = blocks_of(w, workload["group"])
        numel = w.size
        rows = []

        # kmlut
        kmlut1 = None
        if binary:
            try:
                timing, context = run_kmlut(binary, workload,
                                            min(repetitions, workload.get("max_repetitions",
                                                                          repetitions)))
                results["bench_context"] = {k: context.get(k) for k in
                                            ("num_cpus", "mhz_per_cpu", "library_build_type")}
                for threads in (1, 2):
                    if threads in timing:
                        t = timing[threads]
                        rows.append(dict(tool=f"kmlut {threads} thread{'s' * (threads > 1)}",
                                         seconds=t["seconds"], runs=t["runs"],
                                         sse_text="not reported by the bench",
                                         notes=f"median of {len(t['runs'])}, min "
                                               f"{min(t['runs']):.3f} s" if len(t["runs"]) > 1
                                         else "single run" + (" (Iterations(1) in the bench)"
                                                              if "max_repetitions" in workload
                                                              else "")))
                        if threads == 1:
                            kmlut1 = t["seconds"]
                    else:
                        rows.append(dict(tool=f"kmlut {threads} threads", seconds=None,
                                         status="not in bench",
                                         notes=f"bench_scalar.cpp registers {workload['bench']} "
                                               "with Arg(1) only"))
            except Exception as e:  # noqa: BLE001
                rows.append(dict(tool="kmlut", seconds=None, status="failed", notes=str(e)))
        else:
            rows.append(dict(tool="kmlut", seconds=None, status="not built", notes=bench_note))

        # Exact reference and the coreai_opt loop
        exact = None
        if bundled:
            log("  kmeans1d-weighted (coreai_opt way)")
            loop, solver, exact = peer_kmeans1d_weighted(workload, blocks, bundled, budget,
                                                         args.exact_all_values)
            rows.append(dict(tool="kmeans1d-weighted (coreai_opt way)", **loop))
            rows.append(dict(tool="kmeans1d-weighted, solver only", **solver))
        else:
            for tool in ("kmeans1d-weighted (coreai_opt way)", "kmeans1d-weighted, solver only"):
                rows.append(dict(tool=tool, seconds=None, status="not installed",
                                 notes=bundled_error))
        exact_total = float(exact.sum()) if exact is not None else None

        # coremltools
        if not status["coremltools"]:
            log("  coremltools palettize_weights")
            try:
                rows.append(dict(tool="coremltools palettize_weights",
                                 **peer_coremltools(workload, w, args.cap)))
            except Exception as e:  # noqa: BLE001
                rows.append(dict(tool="coremltools palettize_weights", seconds=None,
                                 status="failed", notes=f"{type(e).__name__}: {e}"))
        else:
            rows.append(dict(tool="coremltools palettize_weights", seconds=None,
                             status="not installed", notes=status["coremltools"]))
        tool = "coremltools torch (ct.optimize.torch PTP)"
        if torch_found and not status["coremltools"]:
            log("  coremltools torch PostTrainingPalettizer")
            try:
                rows.append(dict(tool=tool, **peer_torch(workload, w, args.cap)))
            except Exception as e:  # noqa: BLE001
                rows.append(dict(tool=tool, seconds=None, status="failed",
                                 notes=f"{type(e).__name__}: {e}"))
        else:
            rows.append(dict(tool=tool, seconds=None, status="not installed",
                             notes="torch is not installed (this script never installs it)"
                             if not torch_found else status["coremltools"]))

        # PyPI kmeans1d
        if pypi:
            log("  kmeans1d (PyPI)")
            loop, solver = peer_kmeans1d_pypi(workload, blocks, pypi, budget, exact)
            rows.append(dict(tool="kmeans1d PyPI, unweighted (coreai_opt way)", **loop))
            rows.append(dict(tool="kmeans1d PyPI, solver only", **solver))
        else:
            for tool in ("kmeans1d PyPI, unweighted (coreai_opt way)", "kmeans1d PyPI, solver only"):
                rows.append(dict(tool=tool, seconds=None, status="not installed",
                                 notes=status["kmeans1d"]))

        # sklearn
        for threads in (1, 2):
            tool = f"sklearn KMeans lloyd, {threads} thread{'s' * (threads > 1)}"
            if status["sklearn"] or status["threadpoolctl"]:
                rows.append(dict(tool=tool, seconds=None, status="not installed",
                                 notes=status["sklearn"] or status["threadpoolctl"]))
                continue
            log(f"  {tool}")
            rows.append(dict(tool=tool, **peer_sklearn(workload, blocks, threads, budget)))

        for row in rows:
            finish_row(row, numel, kmlut1, exact if exact is not None else [], exact_total)
        results["workloads"].append(dict(id=workload["id"], name=workload["name"],
                                         numel=numel, blocks=len(blocks),
                                         exact_sse=exact_total, rows=rows))

    results["load_average_end"] = list(os.getloadavg())
    report = format_report(results)
    print(report)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(report + "\n")


ARGS = None

if __name__ == "__main__":
    main()
