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

// Per-lane candidates reduced to one: the smallest distance, the lowest index among equal
// distances; the second best is the smaller of the winner lane's second and the other lanes'
// best. Which lane holds which centre does not change the outcome, so every lane count agrees.
NearestPair reduce_lanes(const float* best, const float* second, const std::int32_t* index,
                         int lanes) {
  int winner = 0;
  for (int lane = 1; lane < lanes; ++lane) {
    if (best[lane] < best[winner] || (best[lane] == best[winner] && index[lane] < index[winner]))
      winner = lane;
  }
  NearestPair result{static_cast<std::uint32_t>(index[winner]), best[winner], second[winner]};
  for (int lane = 0; lane < lanes; ++lane) {
    if (lane != winner && best[lane] < result.second)
      result.second = best[lane];
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
  float best_lanes[kLanes];
  float second_lanes[kLanes];
  std::int32_t index_lanes[kLanes];
  std::memcpy(best_lanes, &best, sizeof best_lanes);
  std::memcpy(second_lanes, &second, sizeof second_lanes);
  std::memcpy(index_lanes, &best_index, sizeof index_lanes);
  return reduce_lanes(best_lanes, second_lanes, index_lanes, kLanes);
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

// The ranks are visited a tile of kCentreTile at a time (whatever the target's lane count, so
// that every target visits the same ranks); rank r always goes to the same one of kCentreTile
// candidate slots, r mod kCentreTile, each slot keeping its best and second best as a lane of
// `nearest_pair` does. Ranks do not meet a slot in index order, so equal distances compare
// indices. The scan stops before a tile whose first rank lies `reach` = |b − from| − radius or
// more from the point while some slot's second best (and so the second best overall) is within
// reach²: the centres left out are no nearer than the second best. The centres visited include
// every one that a scan rank by rank, stopping at the first such rank, would visit.
template <int D>
RankedNearest nearest_from(const RankedCentres& centres, const float* point, std::uint32_t from,
                           float radius) {
  constexpr int kParts = static_cast<int>(kCentreTile) / kLanes;  // vectors per tile
  const std::size_t k = centres.k;
  const std::size_t dims = static_cast<std::size_t>(D > 0 ? D : centres.d);
  const float* columns = centres.columns + from * dims * centres.stride;
  const std::int32_t* indices = centres.indices + from * centres.stride;
  const RankedNeighbour* row = centres.ranks + from * k;
  Floats best[kParts];
  Floats second[kParts];
  Ints best_index[kParts];
  for (int part = 0; part < kParts; ++part) {
    best[part] = second[part] = Floats{} + kInfinity;
    best_index[part] = Ints{};
  }
  for (std::size_t base = 0; base < k; base += kCentreTile) {
    if (base > 0) {
      bool stop = false;
      for (int part = 0; part < kParts; ++part)
        stop = stop || some_second_within(second[part], row[base].distance - radius);
      if (stop)
        break;
    }
    for (int part = 0; part < kParts; ++part) {
      const std::size_t offset = base + static_cast<std::size_t>(part * kLanes);
      const Floats sum = tile_distances<D>(columns + offset, centres.stride, point, centres.d);
      Ints index;
      std::memcpy(&index, indices + offset, sizeof index);
      const Ints closer = (sum < best[part]) | ((sum == best[part]) & (index < best_index[part]));
      second[part] = closer ? best[part] : (sum < second[part] ? sum : second[part]);
      best_index[part] = closer ? index : best_index[part];
      best[part] = closer ? sum : best[part];
    }
  }
  float best_slots[kCentreTile];
  float second_slots[kCentreTile];
  std::int32_t index_slots[kCentreTile];
  std::memcpy(best_slots, best, sizeof best_slots);
  std::memcpy(second_slots, second, sizeof second_slots);
  std::memcpy(index_slots, best_index, sizeof index_slots);
  const NearestPair nearest =
      reduce_lanes(best_slots, second_slots, index_slots, static_cast<int>(kCentreTile));
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
