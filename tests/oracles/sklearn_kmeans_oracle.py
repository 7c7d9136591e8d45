"""scikit-learn's KMeans on the same weighted vectors: the quality reference for
tests/unit/test_vector_palettizer.cpp.

usage: sklearn_kmeans_oracle.py INPUT.json OUTPUT.json

INPUT:  {"cases": [{"points": "x.npy", "weights": "w.npy"|null, "k": int}]}
        points: float32 [n, d]; weights: float64 [n].
OUTPUT: {"results": [{"inertias": [float, ...]}]}
        KMeans(n_clusters=k, init="k-means++", n_init=5, max_iter=300, tol=1e-4,
        algorithm="lloyd", random_state=s) for s = 0..4, fitted on the points widened to float64,
        with the weights; inertia = Σ w ‖x − c‖².
Exit status 3 means scikit-learn is not installed.
"""

import json
import os
import sys

# One thread: the test machine's cores are busy with the rest of the suite, and oversubscribed
# OpenMP threads make scikit-learn ten times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        import numpy as np
        from sklearn.cluster import KMeans
    except ImportError as error:
        print(f"oracle unavailable: {error}", file=sys.stderr)
        sys.exit(3)
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    results = []
    for case in cases:
        x = np.load(case["points"]).astype(np.float64)
        w = np.load(case["weights"]) if case["weights"] else None
        inertias = []
        for seed in range(5):
            model = KMeans(n_clusters=case["k"], init="k-means++", n_init=5, max_iter=300,
                           tol=1e-4, random_state=seed, algorithm="lloyd")
            model.fit(x, sample_weight=w)
            inertias.append(float(model.inertia_))
        results.append({"inertias": inertias})
    with open(sys.argv[2], "w") as f:
        json.dump({"results": results}, f)


if __name__ == "__main__":
    main()
