// The nearest-centre kernels, written once for a vector of L float lanes (GCC/Clang vector
// extensions) and instantiated by one translation unit per SimdTarget, which compiles them with
// that target's flags. Everything here has internal linkage, so no copy compiled for a wider
// target can stand in for another translation unit's code.
//
// Included only by nearest_centre_kernels_<target>.cpp, each of which defines KMLUT_SIMD_LANES.
#include <cstring>

#include "host/backends/cpu/simd/nearest_centre_kernels.hpp"

namespace kmlut::cpu {
namespace {

constexpr int kLanes = KMLUT_SIMD_LANES;
using Floats = float __attribute__((vector_size(4 * kLanes)));
using Ints = std::int32_t __attribute__((vector_size(4 * kLanes)));

constexpr float kInfinity = __builtin_inff();

Floats load(const float* from) {
  Floats v;
  std::memcpy(&v, from, sizeof v);
  return v;
}

// The squared distances from `point` to the L centres whose coordinate j lies at
// columns[j · stride + lane]: per lane the scalar sum, term by term.
template <int D>
Floats tile_distances(const float* columns, std::size_t stride, const float* point, int d) {
  const int dims = D > 0 ? D : d;
  Floats sum{};
  for (int j = 0; j < dims; ++j) {
    const Floats diff =
        (Floats{} + point[j]) - load(columns + static_cast<std::size_t>(j) * stride);
    sum += diff * diff;
  }
  return sum;
}

// The lanes' best candidates reduced to one: the smallest distance, the lowest index among equal
// distances; the second best is the smaller of the winner lane's second and the other lanes'
// best. Which lane holds which centre does not change the outcome, so every lane count agrees.
NearestPair reduce_lanes(const Floats& best, const Floats& second, const Ints& index) {
  float best_lanes[kLanes];
  float second_lanes[kLanes];
  std::int32_t index_lanes[kLanes];
  std::memcpy(best_lanes, &best, sizeof best_lanes);
  std::memcpy(second_lanes, &second, sizeof second_lanes);
  std::memcpy(index_lanes, &index, sizeof index_lanes);
  int winner = 0;
  for (int lane = 1; lane < kLanes; ++lane) {
    if (best_lanes[lane] < best_lanes[winner] ||
        (best_lanes[lane] == best_lanes[winner] && index_lanes[lane] < index_lanes[winner]))
      winner = lane;
  }
  NearestPair result{static_cast<std::uint32_t>(index_lanes[winner]), best_lanes[winner],
                     second_lanes[winner]};
  for (int lane = 0; lane < kLanes; ++lane) {
    if (lane != winner && best_lanes[lane] < result.second)
      result.second = best_lanes[lane];
  }
  return result;
}

// Each lane keeps its best and second best; a lane meets its centres in index order, so the
// strict comparison keeps the lowest index among equal distances.
template <int D>
NearestPair nearest_pair(const CentreColumns& centres, const float* point) {
  Floats best = Floats{} + kInfinity;
  Floats second = best;
  Ints best_index{};
  Ints lane_index{};
  for (int lane = 0; lane < kLanes; ++lane)
    lane_index[lane] = lane;
  const std::size_t groups = (centres.k + kLanes - 1) / kLanes;
  for (std::size_t g = 0; g < groups; ++g, lane_index += kLanes) {
    const std::size_t offset = g * kLanes;
    const Floats sum =
        tile_distances<D>(centres.columns + offset, centres.stride, point, centres.d) +
        load(centres.penalty + offset);
    const Ints closer = sum < best;
    second = closer ? best : (sum < second ? sum : second);
    best_index = closer ? lane_index : best_index;
    best = closer ? sum : best;
  }
  return reduce_lanes(best, second, best_index);
}

// Whether some lane's second best lies within `reach`: then the second best overall does too.
bool some_second_within(const Floats& second, float reach) {
  if (reach < 0.0f)
    return false;
  const Ints within = second <= reach * reach;
  std::int32_t lanes[kLanes];
  std::memcpy(lanes, &within, sizeof lanes);
  std::int32_t any = 0;
  for (int lane = 0; lane < kLanes; ++lane)
    any |= lanes[lane];
  return any != 0;
}

// The ranks are visited a tile of L at a time, every lane keeping its best and second best as in
// `nearest_pair`, but ranks do not meet a lane in index order, so equal distances compare
// indices. The scan stops before a tile whose first rank lies `reach` = |b − from| − radius or
// more from the point while some lane's second best (and so the second best overall) is within
// reach²: the centres left out are no nearer than the second best. The centres visited include
// every one that a scan rank by rank, stopping at the first such rank, would visit.
template <int D>
RankedNearest nearest_from(const RankedCentres& centres, const float* point, std::uint32_t from,
                           float radius) {
  const std::size_t k = centres.k;
  const std::size_t dims = static_cast<std::size_t>(D > 0 ? D : centres.d);
  const float* columns = centres.columns + from * dims * centres.stride;
  const std::int32_t* indices = centres.indices + from * centres.stride;
  const RankedNeighbour* row = centres.ranks + from * k;
  Floats best = Floats{} + kInfinity;
  Floats second = best;
  Ints best_index{};
  for (std::size_t base = 0; base < k; base += kLanes) {
    if (base > 0 && some_second_within(second, row[base].distance - radius))
      break;
    const Floats sum = tile_distances<D>(columns + base, centres.stride, point, centres.d);
    Ints index;
    std::memcpy(&index, indices + base, sizeof index);
    const Ints closer = (sum < best) | ((sum == best) & (index < best_index));
    second = closer ? best : (sum < second ? sum : second);
    best_index = closer ? index : best_index;
    best = closer ? sum : best;
  }
  const NearestPair nearest = reduce_lanes(best, second, best_index);
  return {nearest.index, nearest.best, __builtin_sqrtf(nearest.second)};
}

// The kernels for a dimension known only at run time: a switch per call, which the branch
// predictor settles, selects the unrolled version.
NearestPair nearest_pair_any(const CentreColumns& centres, const float* point) {
  switch (centres.d) {
    case 1:
      return nearest_pair<1>(centres, point);
    case 2:
      return nearest_pair<2>(centres, point);
    case 3:
      return nearest_pair<3>(centres, point);
    case 4:
      return nearest_pair<4>(centres, point);
    case 5:
      return nearest_pair<5>(centres, point);
    case 6:
      return nearest_pair<6>(centres, point);
    case 7:
      return nearest_pair<7>(centres, point);
    case 8:
      return nearest_pair<8>(centres, point);
    default:
      return nearest_pair<0>(centres, point);
  }
}

RankedNearest nearest_from_any(const RankedCentres& centres, const float* point, std::uint32_t from,
                               float radius) {
  switch (centres.d) {
    case 1:
      return nearest_from<1>(centres, point, from, radius);
    case 2:
      return nearest_from<2>(centres, point, from, radius);
    case 3:
      return nearest_from<3>(centres, point, from, radius);
    case 4:
      return nearest_from<4>(centres, point, from, radius);
    case 5:
      return nearest_from<5>(centres, point, from, radius);
    case 6:
      return nearest_from<6>(centres, point, from, radius);
    case 7:
      return nearest_from<7>(centres, point, from, radius);
    case 8:
      return nearest_from<8>(centres, point, from, radius);
    default:
      return nearest_from<0>(centres, point, from, radius);
  }
}

constexpr NearestCentreKernels kKernels{nearest_pair_any, nearest_from_any};

}  // namespace
}  // namespace kmlut::cpu
