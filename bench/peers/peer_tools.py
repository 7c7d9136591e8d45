"""The peer tools, run on exactly the tensors `kmlut bench --save-data` wrote, with the same
granularity, vector length, k and thread count as kmlut's case.

Every tool goes through one budget rule so that a full comparison stays within minutes:
- a case with many blocks (per_grouped_channel) runs block after block until the tool has spent
  `budget` seconds; the time is then scaled by blocks total / blocks run ("E"), and its SSE is
  compared with the exact optimum of the same blocks ("S");
- a case with one block (per_tensor) is fit on evenly strided subsamples of 16,384 points, then
  4x more each time while the next fit is predicted to stay within `budget`; when the whole block
  is not reached, the time is scaled from the last subsample ("E") and the SSE is that of its
  centroids applied to every point ("F", subsample fit).
coremltools' palettize_weights is one call over the whole tensor: it runs whole unless a probe on
the first eighth of the rows predicts more than `cap` seconds.
"""

import contextlib
import importlib.util
import logging
import os
import sys
import tempfile
import time
import warnings

import numpy as np

KMEANS1D_MEMORY_LIMIT = 2 << 30  # PyPI kmeans1d keeps 16 B * k * n of DP tables
FIRST_SUBSAMPLE = 1 << 14  # points of the first probe of a one-block case


# ------------------------------------------------------------------------------------------------
# The problem of one case


class Problem:
    """A case's tensor cut into blocks (LUT groups) of points, as kmlut cuts it
    (docs/architecture.md §5.5): groups of `group_size` rows along axis 0, vectors of `cluster_dim`
    consecutive rows."""

    def __init__(self, weight, spec, fast_mode):
        self.weight = weight
        self.k = 1 << spec["n_bits"]
        self.d = spec["cluster_dim"]
        self.fast_mode = bool(fast_mode)
        group = spec["group_size"] if spec["granularity"] == "per_grouped_channel" else None
        if spec.get("axis") not in (None, 0):
            raise ValueError("only axis-0 groups are benchmarked")
        rows = weight.shape[0]
        self.blocks = ([weight[r:r + group] for r in range(0, rows, group)] if group else [weight])

    def points(self, block):
        """(n, d) float32 points of a block: vector j of column c is rows [j*d, (j+1)*d)."""
        rows, cols = block.shape[0], int(np.prod(block.shape[1:]))
        x = block.reshape(rows // self.d, self.d, cols).transpose(0, 2, 1).reshape(-1, self.d)
        return np.ascontiguousarray(x, dtype=np.float32)

    def sse(self, block, centroids, labels):
        """Σ(W − Ŵ)² in float64 with the LUT cast to the weight's dtype, as kmlut reports it."""
        original = self.points(block).astype(np.float64)  # exact: F16 and F32 fit in float32
        lut = np.asarray(centroids, dtype=np.float64).reshape(-1, self.d)
        lut = lut.astype(block.dtype).astype(np.float64)
        error = original - lut[np.asarray(labels).reshape(-1)]
        return float(np.einsum("ij,ij->", error, error))


def nearest(points, centroids):
    """Labels of the nearest centroid (squared Euclidean), in chunks to bound memory."""
    centroids = np.asarray(centroids, dtype=np.float32).reshape(-1, points.shape[1])
    if points.shape[1] == 1:
        order = np.argsort(centroids[:, 0])
        sorted_c = centroids[order, 0].astype(np.float64)
        mids = (sorted_c[1:] + sorted_c[:-1]) / 2
        return order[np.searchsorted(mids, points[:, 0].astype(np.float64))]
    labels = np.empty(len(points), dtype=np.int64)
    norms = (centroids * centroids).sum(1)
    for start in range(0, len(points), 1 << 15):
        chunk = points[start:start + (1 << 15)]
        labels[start:start + len(chunk)] = np.argmin(norms - 2 * chunk @ centroids.T, axis=1)
    return labels


def strided(points, count):
    stride = max(1, len(points) // count)
    return np.ascontiguousarray(points[::stride][:count])


# ------------------------------------------------------------------------------------------------
# The exact 1-D reference for parts of a scalar case


def load_bundled_kmeans1d():
    """The weighted kmeans1d coremltools bundles (coreai_opt's solver), loaded without importing
    coremltools itself; tests/oracles/kmeans1d_oracle.py does the same."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "oracles"))
    from kmeans1d_oracle import load_bundled_kmeans1d as load
    return load()


def exact_block_sse(problem, block, bundled):
    """The optimum kmlut computes for one scalar block: coreai_opt's fast-mode rounding, the
    weighted unique values, the exact weighted DP."""
    x = block.reshape(-1)
    values = x
    if problem.fast_mode:
        values = np.round(x.astype(np.float16).astype(np.float32) * 1e4) / np.float32(1e4)
    unique, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    k = min(len(unique), problem.k)
    clusters, centroids = bundled.cluster(unique, k, weights=counts)
    labels = np.asarray(clusters)[inverse.reshape(-1)]
    return problem.sse(block, np.asarray(centroids).reshape(-1, 1), labels)


# ------------------------------------------------------------------------------------------------
# The tools: fit(points, k, threads, n_init) -> (centroids (k, d), labels, iterations or None)


def fit_sklearn(algorithm):
    def fit(points, k, threads, n_init):
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_limits
        k = min(k, len(points))
        best, iterations = None, 0
        # n_init fits of one k-means++ start each (the best kept, as n_init=N would), so that the
        # iteration count is the sum over all of them, not the best run's alone.
        with threadpool_limits(limits=threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for seed in range(n_init):
                model = KMeans(n_clusters=k, algorithm=algorithm, init="k-means++", n_init=1,
                               max_iter=300, tol=1e-4, random_state=seed).fit(points)
                iterations += model.n_iter_
                if best is None or model.inertia_ < best.inertia_:
                    best = model
        return best.cluster_centers_, best.labels_, iterations
    return fit


def fit_faiss(points, k, threads, n_init):
    import faiss
    faiss.omp_set_num_threads(threads)
    k = min(k, len(points))
    kmeans = faiss.Kmeans(points.shape[1], k, niter=25, nredo=n_init, seed=1234, verbose=False,
                          max_points_per_centroid=1 << 30, min_points_per_centroid=1)
    kmeans.train(points)
    _, labels = kmeans.index.search(points, 1)
    # faiss has no convergence test (early_stop_threshold 0): every restart runs niter iterations.
    return kmeans.centroids, labels[:, 0], kmeans.cp.niter * kmeans.cp.nredo


def fit_kmeans1d(points, k, threads, n_init):
    import kmeans1d
    k = min(k, len(points))
    clusters, centroids = kmeans1d.cluster(points[:, 0].astype(np.float64), k)
    return np.asarray(centroids).reshape(-1, 1), np.asarray(clusters), None


TOOLS = {
    "kmeans1d (PyPI)": dict(fit=fit_kmeans1d, package="kmeans1d", scalar_only=True,
                            notes="exact unweighted DP on the raw values of each block"),
    "sklearn lloyd": dict(fit=fit_sklearn("lloyd"), package="scikit-learn",
                          notes="KMeans(k-means++, max_iter=300, tol=1e-4), raw values"),
    "sklearn elkan": dict(fit=fit_sklearn("elkan"), package="scikit-learn",
                          notes="KMeans(algorithm=elkan, k-means++, max_iter=300, tol=1e-4)"),
    "faiss Kmeans": dict(fit=fit_faiss, package="faiss-cpu",
                         notes="faiss.Kmeans(niter=25, random init, max_points_per_centroid=2^30: "
                               "no subsampling) + index.search for the labels"),
}


def n_init_for(problem):
    """kmlut's vector path runs k-means++ 5 times and keeps the best; the scalar path is exact."""
    return 5 if problem.d > 1 else 1


def too_big(tool, n, problem):
    return tool == "kmeans1d (PyPI)" and 16 * problem.k * n > KMEANS1D_MEMORY_LIMIT


def run_tool(tool, problem, threads, budget, exact_blocks):
    """One tool on one case under the budget rule (module docstring). `exact_blocks(n)` gives the
    exact SSE of the first n blocks, or None when there is no exact reference."""
    fit = TOOLS[tool]["fit"]
    n_init = n_init_for(problem)
    blocks = problem.blocks
    if len(blocks) > 1:
        elapsed, sse, iterations, done = 0.0, 0.0, 0, 0
        for block in blocks:
            points = problem.points(block)
            start = time.perf_counter()
            centroids, labels, iters = fit(points, problem.k, threads, n_init)
            elapsed += time.perf_counter() - start
            sse += problem.sse(block, centroids, labels)
            iterations += iters or 0
            done += 1
            if elapsed >= budget:
                break
        scale = len(blocks) / done
        row = dict(seconds=elapsed * scale, measured_seconds=elapsed, sse=sse,
                   iterations=iterations * scale if iterations else None,
                   seconds_per_iteration=elapsed / iterations if iterations else None)
        if done < len(blocks):
            row.update(extrapolated=f"first {done} of {len(blocks)} blocks",
                       sse_scope=f"{done} of {len(blocks)} blocks", sse_reference=exact_blocks(done))
        return row
    # One block: fits on growing strided subsamples (x4 each time) while the next one is predicted
    # to fit the budget; the whole block when it is reached, else an extrapolation from the last.
    block = blocks[0]
    points = problem.points(block)
    n = len(points)
    size = min(n, FIRST_SUBSAMPLE)
    while True:
        sample = points if size == n else strided(points, size)
        start = time.perf_counter()
        centroids, labels, iters = fit(sample, problem.k, threads, n_init)
        seconds = time.perf_counter() - start
        if size == n:
            return dict(seconds=seconds, iterations=iters,
                        seconds_per_iteration=seconds / iters if iters else None,
                        sse=problem.sse(block, centroids, labels))
        next_size = min(n, size * 4)
        predicted = seconds * n / size
        if seconds * next_size / size > budget or too_big(tool, next_size, problem):
            why = f"~{predicted:.0f} s" if not too_big(tool, n, problem) else \
                f"DP tables {16 * problem.k * n / 2**30:.0f} GiB"
            return dict(seconds=predicted, measured_seconds=seconds, iterations=iters,
                        seconds_per_iteration=predicted / iters if iters else None,
                        extrapolated=f"a {size:,}-point strided subsample of {n:,} (whole run "
                                     f"{why})",
                        sse=problem.sse(block, centroids, nearest(points, centroids)),
                        subsample_fit=True)
        size = next_size


# ------------------------------------------------------------------------------------------------
# coremltools: Core ML palettize_weights, one call over the whole tensor


@contextlib.contextmanager
def quiet_stderr():
    """coremltools prints progress bars and import chatter on fd 2: kept out of the table."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            print(sink.read().decode(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def coremltools_once(weight, spec, threads):
    """(seconds of palettize_weights, dense reconstruction) for one weight. coremltools runs its
    k-means in this process (num_kmeans_workers=1, its default: its worker pool is forked from a
    process that already runs threads, and hung on this machine); the sklearn KMeans it calls for
    vectors and float32 data gets `threads` threads."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    with quiet_stderr(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("coremltools").setLevel(logging.ERROR)
        import coremltools as ct
        from coremltools.converters.mil import Builder as mb
        from coremltools.converters.mil.mil import types
        fp16 = weight.dtype == np.float16

        @mb.program(input_specs=[mb.TensorSpec(shape=(1, weight.shape[1]),
                                               dtype=types.fp16 if fp16 else types.fp32)],
                    opset_version=ct.target.iOS18)
        def program(x):
            return mb.linear(x=x, weight=weight, name="y")

        model = ct.convert(program, convert_to="mlprogram",
                           minimum_deployment_target=ct.target.iOS18,
                           compute_precision=ct.precision.FLOAT16 if fp16 else
                           ct.precision.FLOAT32, skip_model_load=True)
        options = dict(mode="kmeans", nbits=spec["n_bits"], cluster_dim=spec["cluster_dim"],
                       weight_threshold=1)
        if spec["granularity"] == "per_grouped_channel":
            options.update(granularity="per_grouped_channel", group_size=spec["group_size"],
                           channel_axis=0)
        else:
            options.update(granularity="per_tensor")
        config = ct.optimize.coreml.OptimizationConfig(
            global_config=ct.optimize.coreml.OpPalettizerConfig(**options))
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=threads):
            start = time.perf_counter()
            compressed = ct.optimize.coreml.palettize_weights(model, config)
            seconds = time.perf_counter() - start
        ops = [op for op in compressed._mil_program.functions["main"].operations
               if op.op_type == "constexpr_lut_to_dense"]
        if len(ops) != 1:
            raise RuntimeError(f"expected one constexpr_lut_to_dense op, found {len(ops)}")
        dense = ops[0].materialized_val_inference()
    return seconds, dense


def run_coremltools(problem, spec, threads, cap, exact_blocks):
    weight = problem.weight
    rows = weight.shape[0]
    unit = (spec["group_size"] if spec["granularity"] == "per_grouped_channel" else 1) * \
        spec["cluster_dim"]
    probe_rows = max(unit, (rows // 8) // unit * unit)
    note = (f"palettize_weights(mode=kmeans), 1 worker process (its default), sklearn inside "
            f"limited to {threads} threads; ct.convert not timed")
    if probe_rows < rows:
        seconds, dense = coremltools_once(np.ascontiguousarray(weight[:probe_rows]), spec, threads)
        predicted = seconds * rows / probe_rows
        if predicted > cap:
            error = weight[:probe_rows].astype(np.float64) - dense.astype(np.float64)
            row = dict(seconds=predicted, measured_seconds=seconds, notes=note,
                       extrapolated=f"the first {probe_rows} of {rows} rows as their own weight "
                                    f"(whole run ~{predicted:.0f} s > cap {cap:g} s)")
            if len(problem.blocks) > 1:
                blocks = probe_rows // spec["group_size"]
                row.update(sse=float(np.sum(error * error)), sse_scope=f"{blocks} of "
                           f"{len(problem.blocks)} blocks", sse_reference=exact_blocks(blocks))
            return row
    seconds, dense = coremltools_once(weight, spec, threads)
    error = weight.astype(np.float64) - dense.astype(np.float64)
    return dict(seconds=seconds, sse=float(np.sum(error * error)), notes=note)


def available(package, status):
    return status.get(package) is None and importlib.util.find_spec(
        {"scikit-learn": "sklearn", "faiss-cpu": "faiss"}.get(package, package)) is not None
