#include "host/backends/cpu/centroid_table.hpp"

#include <limits>

namespace kmlut::cpu {

void CentroidTable::assign(const float* centroids, std::size_t k, int d) {
  k_ = k;
  d_ = d;
  stride_ = (k + kCentreTile - 1) / kCentreTile * kCentreTile;
  columns_.assign(static_cast<std::size_t>(d) * stride_, 0.0f);
  penalty_.assign(stride_, std::numeric_limits<float>::infinity());
  for (std::size_t c = 0; c < k; ++c) {
    penalty_[c] = 0.0f;
    for (int j = 0; j < d; ++j)
      columns_[static_cast<std::size_t>(j) * stride_ + c] = centroids[c * d + j];
  }
}

NearestTwo CentroidTable::nearest_two(const float* point) const {
  const CentreColumns centres{columns_.data(), penalty_.data(), stride_, k_, d_};
  const NearestPair nearest = kernels_->nearest_pair(centres, point);
  NearestTwo result;
  result.index = nearest.index;
  result.best = nearest.best;
  result.second = nearest.second;
  return result;
}

}  // namespace kmlut::cpu
