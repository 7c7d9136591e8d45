// CentroidTable: k centroids (k <= 256) of any dimension d laid out for the nearest-centroid
// search, the inner loop of k-means. Centroids are stored dimension-major (structure of arrays),
// so one point is compared with a vector of centroids per operation; the search runs with the
// kernels of the SIMD target chosen at run time (host/backends/cpu/simd/).
//
// Every distance is Σ_j (x_j − c_j)² in float32, summed in j order with no fused multiply-add, so
// every SIMD target, the scalar `squared_distance` and any thread count give identical values and
// the same ties (the lowest index wins).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "host/backends/cpu/simd/nearest_centre_kernels.hpp"
#include "host/backends/cpu/simd/simd_target.hpp"
#include "kmlut/numeric/lloyd_arithmetic.hpp"

namespace kmlut::cpu {

// Squared Euclidean distance in the order the table's search uses.
using numeric::squared_distance;

struct NearestTwo {
  std::uint32_t index = 0;
  float best = 0.0f;    // squared distance to the nearest centroid
  float second = 0.0f;  // squared distance to the second nearest (infinity when k = 1)
};

class CentroidTable {
 public:
  explicit CentroidTable(SimdTarget target = active_simd_target())
      : kernels_(&nearest_centre_kernels(target)) {}

  // `centroids` holds k rows of d floats.
  void assign(const float* centroids, std::size_t k, int d);

  std::size_t size() const { return k_; }
  int dim() const { return d_; }

  NearestTwo nearest_two(const float* point) const;
  std::uint32_t nearest(const float* point) const { return nearest_two(point).index; }

 private:
  const NearestCentreKernels* kernels_;
  std::size_t k_ = 0;
  int d_ = 0;
  std::size_t stride_ = 0;      // k rounded up to kCentreTile
  std::vector<float> columns_;  // [d][stride]: coordinate j of centroid c
  std::vector<float> penalty_;  // [stride]: 0, or +inf for the padding past k
};

}  // namespace kmlut::cpu
