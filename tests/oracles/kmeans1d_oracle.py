"""Reference 1-D clusterings for tests/unit/test_exact_kmeans1d.cpp.

usage: kmeans1d_oracle.py INPUT.json OUTPUT.json

INPUT:  {"cases": [{"solver": S, "k": int, "x": [float], "w": [float] (optional)}]}
OUTPUT: {"results": [{"centroids": [float], "clusters": [int]}]} in the same order.

Solvers:
  kmeans1d     PyPI kmeans1d (dstein64), unweighted: the reference for the all-values path.
  coremltools  the weighted kmeans1d bundled in the coremltools wheel, which coremltools and
               coreai_opt call for the unique-value path. It is loaded from its own folder so
               that coremltools' package __init__ (protobuf, the MIL stack) is not imported.
  sklearn      sklearn.cluster.KMeans(n_clusters=k, n_init=5, random_state=0), a Lloyd baseline.

Floats travel as JSON numbers, which Python writes and reads back exactly. Exit status 3 with a
message on stderr means an oracle is not installed.
"""

import importlib.util
import json
import os
import sys


class Unavailable(Exception):
    pass


def load_bundled_kmeans1d():
    spec = importlib.util.find_spec("coremltools")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable("coremltools is not installed")
    folder = os.path.join(spec.submodule_search_locations[0], "_deps", "kmeans1d")
    init = os.path.join(folder, "__init__.py")
    if not os.path.exists(init):
        raise Unavailable(f"coremltools has no bundled kmeans1d at {folder}")
    name = "coremltools_bundled_kmeans1d"
    module_spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def solver_for(name, loaded):
    if name in loaded:
        return loaded[name]
    try:
        if name == "kmeans1d":
            import kmeans1d

            def solve(case):
                if "w" in case:
                    raise ValueError("PyPI kmeans1d takes no weights")
                return kmeans1d.cluster(case["x"], case["k"])
        elif name == "coremltools":
            bundled = load_bundled_kmeans1d()

            def solve(case):
                return bundled.cluster(case["x"], case["k"], weights=case.get("w"))
        elif name == "sklearn":
            import numpy as np
            from sklearn.cluster import KMeans

            def solve(case):
                x = np.asarray(case["x"], dtype=np.float64).reshape(-1, 1)
                model = KMeans(n_clusters=case["k"], n_init=5, random_state=0)
                model.fit(x, sample_weight=case.get("w"))
                return model.labels_.tolist(), model.cluster_centers_[:, 0].tolist()
        else:
            raise ValueError(f"unknown solver {name!r}")
    except ImportError as error:
        raise Unavailable(f"{name}: {error}") from error
    loaded[name] = solve
    return solve


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    loaded = {}
    results = []
    try:
        for case in cases:
            clusters, centroids = solver_for(case["solver"], loaded)(case)
            results.append({"centroids": list(centroids), "clusters": list(clusters)})
    except Unavailable as error:
        print(f"oracle unavailable: {error}", file=sys.stderr)
        sys.exit(3)
    with open(sys.argv[2], "w") as f:
        json.dump({"results": results}, f)


if __name__ == "__main__":
    main()
