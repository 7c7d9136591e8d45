// The arithmetic vector Lloyd shares between the CPU backend (host/backends/cpu/lloyd_kmeans.cpp,
// centroid_table.hpp, kmeans_plus_plus.cpp) and the device bodies (kernels/bodies/): one home, so
// the two cannot drift apart and the device keeps producing the CPU's bits.
#pragma once

#include <cstdint>

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

// Points per chunk: the unit of parallel work and of the fixed-order reductions (a chunk's sums
// in point order, the chunks' partials in chunk order).
constexpr std::uint32_t kLloydChunkPoints = 4096;

// Squared Euclidean distance: Σ_j (x_j − c_j)² in float32, summed in j order. Compiled without
// fused multiply-adds (-ffp-contract=off on the host, -fmad=false on the device), so every SIMD
// target, the device and any thread count give the same value.
KMLUT_HD inline float squared_distance(const float* a, const float* b, int d) {
  float sum = 0.0f;
  for (int j = 0; j < d; ++j) {
    const float diff = a[j] - b[j];
    sum += diff * diff;
  }
  return sum;
}

// Hamerly's bounds of a point, moved by the centres' last shifts: the upper bound on the distance
// to its own centre grows by that centre's shift, the lower bound on the distance to every other
// centre shrinks by the largest other shift; the point keeps its centre while upper ≤ bound.
struct MovedBounds {
  float upper;
  float lower;
  float bound;  // max(half the gap from the own centre to its nearest other, lower)
};

KMLUT_HD inline MovedBounds move_bounds(float upper, float lower, float own_shift,
                                        float other_shift, float half_gap) {
  const float moved_lower = lower - other_shift;
  return {upper + own_shift, moved_lower, half_gap < moved_lower ? moved_lower : half_gap};
}

}  // namespace kmlut::numeric
