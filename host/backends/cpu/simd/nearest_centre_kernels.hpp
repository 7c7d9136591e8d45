// The nearest-centre searches of vector k-means (host/backends/cpu/lloyd_kmeans.cpp), compiled
// once per SimdTarget. Centres are laid out dimension-major (structure of arrays), so one vector
// operation compares a point with as many centres as the target has float lanes.
//
// Every distance is Σ_j (x_j − c_j)² in float32, summed in j order, with no fused multiply-add:
// each lane performs the operations of the scalar `squared_distance` (centroid_table.hpp), so all
// targets, lane counts and the scalar code give identical values, and ties go to the lowest
// centre index. (This header is included by the per-target translation units: plain structs and
// declarations only, so that no inline function is compiled with a wider instruction set.)
#pragma once

#include <cstddef>
#include <cstdint>

namespace kmlut::cpu {

enum class SimdTarget;  // simd_target.hpp

// Column strides are multiples of this (the widest target's lane count).
inline constexpr std::size_t kCentreTile = 16;

// k centres, coordinate j of centre c at columns[j · stride + c]; penalty[c] is 0 for a centre
// and +inf for the padding up to `stride`.
struct CentreColumns {
  const float* columns;
  const float* penalty;
  std::size_t stride;
  std::size_t k;
  int d;
};

// Squared distances to the nearest centre and to the second nearest (+inf when k = 1).
struct NearestPair {
  std::uint32_t index;
  float best;
  float second;
};

// Another centre seen from one centre: their distance, and its index.
struct RankedNeighbour {
  float distance;
  std::uint32_t index;
};

// For every centre `from`, all centres nearest first (ties by index; rank 0 is normally `from`
// itself): ranks[from · k + r]; their indices and coordinates in rank order, indices[from · stride
// + r] and columns[(from · d + j) · stride + r], padded past k with index 0 and +inf
// coordinates, with stride ≥ k + kCentreTile − 1 (a tile read past the last rank stays inside
// the row).
struct RankedCentres {
  const float* columns;
  const std::int32_t* indices;
  const RankedNeighbour* ranks;
  std::size_t stride;
  std::size_t k;
  int d;
};

// The outcome of a search from a point's own centre: the nearest centre, its squared distance,
// and the distance (not squared) to the second nearest, a lower bound for the other centres.
struct RankedNearest {
  std::uint32_t index;
  float best_squared;
  float second;
};

struct NearestCentreKernels {
  // Every centre is compared.
  NearestPair (*nearest_pair)(const CentreColumns& centres, const float* point);
  // The point's centre `from` lies at distance `radius`. Centres are visited in `from`'s rank
  // order, a tile at a time; a centre b is at least |b − from| − radius from the point, so the
  // scan stops at a tile whose first rank is that far beyond the second best found so far. The
  // result is that of `nearest_pair` over the centres visited, which include every centre that
  // could be nearest or second nearest.
  RankedNearest (*nearest_from)(const RankedCentres& centres, const float* point,
                                std::uint32_t from, float radius);
};

const NearestCentreKernels& nearest_centre_kernels(SimdTarget target);

// One per target, each in its own translation unit.
const NearestCentreKernels& nearest_centre_kernels_baseline();
const NearestCentreKernels& nearest_centre_kernels_avx2();
const NearestCentreKernels& nearest_centre_kernels_avx512();

}  // namespace kmlut::cpu
