// CentroidTable: k centroids (k <= 256) of any dimension d laid out for the nearest-centroid
// search, the inner loop of k-means. Centroids are stored dimension-major in lanes of eight
// (structure of arrays), so one point is compared with eight centroids per vector operation; the
// search keeps, per lane, the best and second-best distance, and reduces the lanes at the end.
//
// Every distance is Σ_j (x_j − c_j)² in float32, summed in j order with no fused multiply-add, so
// the vector search, the scalar `distance` and any thread count give identical values and the
// same ties (the lowest index wins).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace kmlut::cpu {

// Dimensions up to this one have a search with its loops unrolled; larger ones a generic loop.
inline constexpr int kUnrolledVectorDim = 8;

// Squared Euclidean distance in the order the table's search uses.
inline float squared_distance(const float* a, const float* b, int d) {
  float sum = 0.0f;
  for (int j = 0; j < d; ++j) {
    const float diff = a[j] - b[j];
    sum += diff * diff;
  }
  return sum;
}

struct NearestTwo {
  std::uint32_t index = 0;
  float best = 0.0f;    // squared distance to the nearest centroid
  float second = 0.0f;  // squared distance to the second nearest (infinity when k = 1)
};

class CentroidTable {
 public:
  static constexpr int kLanes = 8;

  // `centroids` holds k rows of d floats.
  void assign(const float* centroids, std::size_t k, int d);

  std::size_t size() const { return k_; }
  int dim() const { return d_; }

  NearestTwo nearest_two(const float* point) const;
  std::uint32_t nearest(const float* point) const { return nearest_two(point).index; }

 private:
  std::size_t k_ = 0;
  int d_ = 0;
  std::size_t groups_ = 0;      // ceil(k / kLanes)
  std::vector<float> columns_;  // [d][groups · kLanes]: coordinate j of centroid c
  std::vector<float> penalty_;  // [groups · kLanes]: 0, or +inf for the padding past k
};

}  // namespace kmlut::cpu
