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

}  // namespace kmlut::numeric
