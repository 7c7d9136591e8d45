"""coreai_opt's scalar palettization of one tensor, re-enacted with numpy and the weighted kmeans1d
that coremltools bundles (the solver coreai_opt calls): the reference for
tests/unit/test_scalar_parity.cpp.

usage: coreai_palettize_oracle.py INPUT.json OUTPUT.json

INPUT:  {"cases": [{"weight": "w.npy", "n_bits": int, "axis": null|0|1, "group_size": int|null,
                    "fast": bool, "precision": int, "per_channel_scale": bool}]}
        The weight is float16 or float32, rank 2 (linear) or 4 (conv).
OUTPUT: {"results": [{"luts": [[float, ...], ...], "indices": [int, ...], "sse": float}]}
        LUTs are cast to the weight's dtype (then widened for JSON), padded with the last
        centroid; indices are flat, row-major; sse = Σ (W − Ŵ)² in float64 over the original values.

The steps follow _KMeansFakePalettize._calculate_centroids and _cluster_weights_1d (research
palettization-semantics.md §3.1 and §3.4). Exit status 3 means an oracle is not installed.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kmeans1d_oracle import Unavailable, load_bundled_kmeans1d  # noqa: E402

import numpy as np  # noqa: E402

HALF_MAX = 65504


def per_channel_scale(w):
    flat = w.reshape(w.shape[0], -1)
    scale = np.abs(flat).max(axis=1).astype(w.dtype)
    scale[scale == 0] = 1
    # numpy divides float16 arrays in float32 and rounds once, as torch does.
    scaled = (flat.astype(np.float32) / scale.astype(np.float32)[:, None]).astype(w.dtype)
    return scaled.reshape(w.shape), scale


def blocks(w, axis, group_size):
    """(slices into the original tensor, block array) in LUT order."""
    if group_size is None:
        return [((slice(None),), w)]
    out = []
    for start in range(0, w.shape[axis], group_size):
        index = [slice(None)] * w.ndim
        index[axis] = slice(start, start + group_size)
        out.append((tuple(index), w[tuple(index)]))
    return out


def cluster_block(block, n_bits, fast, precision, kmeans1d):
    x = block.flatten()
    if x.dtype == np.float16 or (fast and x.max() <= HALF_MAX and x.min() >= -HALF_MAX):
        if fast:
            x = x.astype(np.float16)
            scale = 10 ** precision
            x = np.round(x.astype(np.float32) * scale) / scale
        values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
        k = min(len(values), 2 ** n_bits)
        clusters, centroids = kmeans1d.cluster(values.astype(np.float64).tolist(), k,
                                               weights=counts.astype(np.float64).tolist())
        labels = np.asarray(clusters)[inverse.reshape(-1)]
    else:
        k = min(len(x), 2 ** n_bits)
        labels, centroids = kmeans1d.cluster(x.astype(np.float64).tolist(), k)
        labels = np.asarray(labels)
    lut = list(centroids) + [centroids[-1]] * (2 ** n_bits - len(centroids))
    return np.asarray(lut, dtype=np.float64).astype(block.dtype), labels.reshape(block.shape)


def palettize(case, kmeans1d):
    w = np.load(case["weight"])
    scaled, scale = per_channel_scale(w) if case["per_channel_scale"] else (w, None)
    axis = case["axis"] if case["axis"] is not None else 0
    indices = np.zeros(w.shape, dtype=np.int64)
    luts = []
    for where, block in blocks(scaled, axis, case["group_size"]):
        lut, labels = cluster_block(block, case["n_bits"], case["fast"], case["precision"], kmeans1d)
        indices[where] = labels
        luts.append(lut)
    table = np.zeros(w.shape, dtype=w.dtype)
    for b, (where, _) in enumerate(blocks(scaled, axis, case["group_size"])):
        table[where] = luts[b][indices[where]]
    if scale is not None:
        shape = (w.shape[0],) + (1,) * (w.ndim - 1)
        table = (table.astype(np.float32) * scale.astype(np.float32).reshape(shape)).astype(w.dtype)
    error = w.astype(np.float64) - table.astype(np.float64)
    return {"luts": [lut.astype(np.float64).tolist() for lut in luts],
            "indices": indices.reshape(-1).tolist(),
            "sse": float(np.sum(error * error))}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    try:
        kmeans1d = load_bundled_kmeans1d()
    except Unavailable as error:
        print(f"oracle unavailable: {error}", file=sys.stderr)
        sys.exit(3)
    with open(sys.argv[2], "w") as f:
        json.dump({"results": [palettize(case, kmeans1d) for case in cases]}, f)


if __name__ == "__main__":
    main()
