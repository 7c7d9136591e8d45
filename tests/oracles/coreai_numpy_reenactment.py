"""A numpy re-enactment of coreai_opt's scalar palettization of one tensor, with the weighted
kmeans1d that coremltools bundles (the algorithm coreai_opt vendors): the fast, torch-free
reference for tests/unit/test_scalar_parity.cpp, which probes many small edge cases (duplicates,
two values, nearly constant data) at the level of LUTs and indices. The real coreai_opt 0.3.0 is
the oracle of tests/cli/test_coreai_parity.py; this file follows it.

usage: coreai_numpy_reenactment.py INPUT.json OUTPUT.json

INPUT:  {"cases": [{"weight": "w.npy", "n_bits": int, "axis": null|0|1, "group_size": int|null,
                    "fast": bool, "precision": int, "per_channel_scale": bool,
                    "sensitivity": "s.npy"|null}]}
        The weight is float16 or float32, rank 2 (linear) or 4 (conv); the optional sensitivity
        (float32, the weight's shape) is normalized and weights the 1-D k-means.
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


def normalize_sensitivity(s):
    """coreai_opt's preprocessing, in float32: / max, zeros -> smallest nonzero, >= 1e-12."""
    s = s.astype(np.float32)
    if not s.any():
        return np.ones_like(s)
    s = s / s.max()
    s[s == 0] = s[s > 0].min()
    return np.maximum(s, np.float32(1e-12))


def cluster_block(block, n_bits, fast, precision, kmeans1d, sensitivity=None):
    x = block.flatten()
    s = None if sensitivity is None else sensitivity.flatten().astype(np.float64)
    if x.dtype == np.float16 or (fast and x.max() <= HALF_MAX and x.min() >= -HALF_MAX):
        if fast:
            x = x.astype(np.float16)
            scale = 10 ** precision
            x = np.round(x.astype(np.float32) * scale) / scale
        values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
        k = min(len(values), 2 ** n_bits)
        weights = counts.astype(np.float64) if s is None else np.bincount(inverse.reshape(-1), s)
        clusters, centroids = kmeans1d.cluster(values.astype(np.float64).tolist(), k,
                                               weights=weights.tolist())
        labels = np.asarray(clusters)[inverse.reshape(-1)]
    else:
        k = min(len(x), 2 ** n_bits)
        labels, centroids = kmeans1d.cluster(x.astype(np.float64).tolist(), k,
                                             weights=None if s is None else s.tolist())
        labels = np.asarray(labels)
    lut = list(centroids) + [centroids[-1]] * (2 ** n_bits - len(centroids))
    # torch stores a float64 centroid in a 16-bit dtype through float32 (two roundings).
    lut = np.asarray(lut, dtype=np.float64).astype(np.float32).astype(block.dtype)
    return lut, labels.reshape(block.shape)


def palettize(case, kmeans1d):
    w = np.load(case["weight"])
    scaled, scale = per_channel_scale(w) if case["per_channel_scale"] else (w, None)
    axis = case["axis"] if case["axis"] is not None else 0
    sensitivity = None
    if case.get("sensitivity"):
        sensitivity = normalize_sensitivity(np.load(case["sensitivity"]))
    indices = np.zeros(w.shape, dtype=np.int64)
    luts = []
    for where, block in blocks(scaled, axis, case["group_size"]):
        s = None if sensitivity is None else sensitivity[where]
        lut, labels = cluster_block(block, case["n_bits"], case["fast"], case["precision"], kmeans1d,
                                    s)
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
