// LloydKMeans: weighted k-means for short vectors (k <= 256; any d, fastest up to 8), the solver
// of vector palettization (docs/architecture.md §5.5 step 5). The schedule follows scikit-learn's
// KMeans(algorithm= "lloyd"): greedy k-means++ seeding, `n_init` runs keeping the lowest inertia,
// at most `max_iter` iterations, stopping when no label changes or the centres move less than tol ×
// the mean per-dimension variance. Empty clusters take the points farthest from their centres, so
// no centre is ever NaN. At the end each centre is the mean of its points, as coreai_opt recomputes
// it.
//
// Hamerly's bounds skip most distance computations once the centres settle: per point an upper
// bound on the distance to its centre and a lower bound on the distance to any other; a point is
// only searched when the bounds cannot prove its centre is still the nearest, and that search
// skips the centres the triangle inequality rules out. The assignment is that of a full search
// (up to exact ties between float32 distances).
//
// Points are processed in fixed chunks; the first assignment's partial sums are combined in chunk
// order, and later ones move points between the cluster sums in chunk order. The result depends
// on the data, the options and the seed only — not on threads or scheduling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "host/backends/cpu/simd/simd_target.hpp"
#include "host/backends/cpu/vector_points.hpp"

namespace kmlut::cpu {

struct LloydOptions {
  std::size_t k = 16;
  int n_init = 5;
  int max_iter = 300;
  double tol = 1e-4;
  std::uint64_t seed = 0;
  bool use_bounds = true;  // false: every point scans every centre in every iteration
  SimdTarget simd = active_simd_target();  // the same result with any target; tests compare them
};

struct LloydFit {
  std::vector<float> centroids;      // k rows of d floats
  std::vector<std::uint8_t> labels;  // one per point
  double inertia = 0.0;              // Σ w · ‖x − c_label‖² in float64
  std::size_t iterations = 0;        // Lloyd iterations summed over all runs
};

// The bound on Σ ‖shift‖² below which a run has converged: tol × the mean per-dimension variance
// (the CUDA backend's device fit uses it too).
double lloyd_tolerance(const VectorPoints& points, const LloydOptions& options,
                       const ChunkRunner& runner = run_serially);

// A point as a donor for an empty cluster: its squared distance to its centre.
struct FarPoint {
  float distance;
  std::size_t index;
};

// The order in which empty clusters take their donors: farthest first, the lowest index among
// equal distances (the CUDA backend's device fit relocates by it too).
bool farther(const FarPoint& a, const FarPoint& b);

// The run with the lowest inertia; k must not exceed the number of points.
LloydFit fit_lloyd_kmeans(const VectorPoints& points, const LloydOptions& options,
                          const ChunkRunner& runner = run_serially);

}  // namespace kmlut::cpu
