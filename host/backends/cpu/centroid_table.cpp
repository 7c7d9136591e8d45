#include "host/backends/cpu/centroid_table.hpp"

#include <cstring>

namespace kmlut::cpu {
namespace {

// GCC/Clang vector extensions: eight float32 lanes (two SSE registers without AVX).
using Floats = float __attribute__((vector_size(32)));
using Ints = std::int32_t __attribute__((vector_size(32)));

constexpr float kInfinity = std::numeric_limits<float>::infinity();

constexpr int kLanes = CentroidTable::kLanes;

// The lanes' best candidates reduced to one: the smallest distance, the lowest index among equal
// distances; the second best is the smaller of the winner lane's second and the other lanes' best.
// (Arrays, not vectors, cross the function boundary: 32-byte vector arguments have an ABI that
// depends on AVX.)
NearestTwo reduce_lanes(const float (&best)[kLanes], const float (&second)[kLanes],
                        const std::int32_t (&index)[kLanes]) {
  int winner = 0;
  for (int lane = 1; lane < kLanes; ++lane) {
    if (best[lane] < best[winner] || (best[lane] == best[winner] && index[lane] < index[winner]))
      winner = lane;
  }
  NearestTwo result;
  result.index = static_cast<std::uint32_t>(index[winner]);
  result.best = best[winner];
  result.second = second[winner];
  for (int lane = 0; lane < kLanes; ++lane) {
    if (lane != winner && best[lane] < result.second)
      result.second = best[lane];
  }
  return result;
}

// D > 0: the dimension, known at compile time (the loops unroll); D = 0: any dimension `d`.
template <int D>
NearestTwo search(const float* columns, const float* penalty, std::size_t groups,
                  const float* point, int d) {
  const int dims = D > 0 ? D : d;
  Floats best = Floats{} + kInfinity;
  Floats second = best;
  Ints best_index{};
  Ints lane_index{0, 1, 2, 3, 4, 5, 6, 7};
  const Ints step = Ints{} + CentroidTable::kLanes;
  const std::size_t stride = groups * kLanes;
  for (std::size_t g = 0; g < groups; ++g, lane_index += step) {
    const std::size_t offset = g * CentroidTable::kLanes;
    Floats sum{};
    for (int j = 0; j < dims; ++j) {
      Floats centre;
      std::memcpy(&centre, columns + j * stride + offset, sizeof centre);
      const Floats diff = (Floats{} + point[j]) - centre;
      sum += diff * diff;
    }
    Floats padding;
    std::memcpy(&padding, penalty + offset, sizeof padding);
    sum += padding;
    const Ints closer = sum < best;
    second = closer ? best : (sum < second ? sum : second);
    best_index = closer ? lane_index : best_index;
    best = closer ? sum : best;
  }
  float best_lanes[kLanes];
  float second_lanes[kLanes];
  std::int32_t index_lanes[kLanes];
  std::memcpy(best_lanes, &best, sizeof best_lanes);
  std::memcpy(second_lanes, &second, sizeof second_lanes);
  std::memcpy(index_lanes, &best_index, sizeof index_lanes);
  return reduce_lanes(best_lanes, second_lanes, index_lanes);
}

using SearchFunction = NearestTwo (*)(const float*, const float*, std::size_t, const float*, int);

SearchFunction search_for(int d) {
  static constexpr SearchFunction kByDim[kUnrolledVectorDim] = {
      search<1>, search<2>, search<3>, search<4>, search<5>, search<6>, search<7>, search<8>};
  return d <= kUnrolledVectorDim ? kByDim[d - 1] : search<0>;
}

}  // namespace

void CentroidTable::assign(const float* centroids, std::size_t k, int d) {
  k_ = k;
  d_ = d;
  groups_ = (k + kLanes - 1) / kLanes;
  const std::size_t stride = groups_ * kLanes;
  columns_.assign(static_cast<std::size_t>(d) * stride, 0.0f);
  penalty_.assign(stride, kInfinity);
  for (std::size_t c = 0; c < k; ++c) {
    penalty_[c] = 0.0f;
    for (int j = 0; j < d; ++j)
      columns_[static_cast<std::size_t>(j) * stride + c] = centroids[c * d + j];
  }
}

NearestTwo CentroidTable::nearest_two(const float* point) const {
  return search_for(d_)(columns_.data(), penalty_.data(), groups_, point, d_);
}

}  // namespace kmlut::cpu
