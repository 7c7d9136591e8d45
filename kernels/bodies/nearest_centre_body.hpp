// The assignment step of vector Lloyd (cluster_dim d ≤ 8, k ≤ 256) as a kernel body — fused
// distance and argmin, never the N×K distance matrix: a block stages its tile's centres in shared
// memory, and each thread scans them for its points, keeping the nearest centre and the nearest
// two distances as Hamerly's bounds; with the centres' bounds state, a point whose bounds prove
// its centre is still the nearest is not searched, as on the CPU, so the labels are the CPU's
// even where two centres tie exactly. The arithmetic is the CPU's
// (host/backends/cpu/centroid_table.hpp): Σ_j (x_j − c_j)² in float32, summed in j order with no
// fused multiply-add (-fmad=false on the device), the lowest index winning ties; the second
// distance is the second smallest of all k (equal to the first when two centres tie).
//
// Tested on the CPU grid executor against CentroidTable::nearest_two, and within whole fits
// against fit_lloyd_kmeans (tests/unit/test_cuda_grid_vector_fit.cpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "kmlut/numeric/host_device.hpp"
#include "kmlut/numeric/lloyd_arithmetic.hpp"

namespace kmlut::cuda {

constexpr unsigned kNearestCentreThreads = 256;
constexpr int kMaxDeviceVectorDim = 8;
constexpr std::uint32_t kMaxDeviceClusters = 256;

// Hamerly's state of the centres for a bounded assignment (host/backends/cpu/lloyd_kmeans.cpp,
// search_if_needed): how far each centre moved since the bounds were last moved, the largest and
// second largest of those shifts and whose the largest is, and half of each centre's distance to
// its nearest other centre.
struct CentreBounds {
  float shift[kMaxDeviceClusters];
  float half_gap[kMaxDeviceClusters];
  float max_shift;
  float second_shift;
  std::uint32_t max_shift_index;
};

// A run of consecutive points of one problem and the centres they are compared with.
struct NearestCentreTile {
  const float* points;  // count rows of d floats
  std::uint32_t count;
  std::int32_t d;              // 1..kMaxDeviceVectorDim
  const float* centres;        // k rows of d floats
  std::uint32_t k;             // 1..kMaxDeviceClusters
  const CentreBounds* bounds;  // null: every point is searched
  std::uint8_t* labels;        // per point: the nearest centre (in: the last one, with bounds)
  float* upper;                // per point: ≥ the distance (not squared) to its centre
  float* lower;                // per point: ≤ the distance to every other centre
};

struct NearestCentreShared {
  float centres[kMaxDeviceClusters * kMaxDeviceVectorDim];
};

// The nearest of k centres (k rows of d floats) to x, and the nearest two squared distances.
struct NearestTwoCentres {
  std::uint32_t index;
  float best;
  float second;
};

KMLUT_HD inline NearestTwoCentres scan_centres(const float* x, const float* centres,
                                               std::uint32_t k, int d) {
  const float infinity = std::numeric_limits<float>::infinity();
  NearestTwoCentres nearest{0, infinity, infinity};
  for (std::uint32_t c = 0; c < k; ++c) {
    const float distance =
        numeric::squared_distance(x, &centres[c * static_cast<std::uint32_t>(d)], d);
    if (distance < nearest.best) {
      nearest.second = nearest.best;
      nearest.best = distance;
      nearest.index = c;
    } else if (distance < nearest.second) {
      nearest.second = distance;
    }
  }
  return nearest;
}

// A thread's copy of point i of a run of d-float rows.
KMLUT_HD inline void load_point(const float* points, std::uint32_t i, int d, float* x) {
  for (int j = 0; j < d; ++j)
    x[j] = points[std::uint64_t{i} * static_cast<std::uint32_t>(d) + static_cast<std::uint32_t>(j)];
}

// Block b assigns the points of tiles[b]. Searched, a point gets its nearest centre and the
// square roots of the nearest two squared distances as bounds, as the CPU's search does; with
// bounds, a point is searched only when its moved bounds, then its distance to its own centre,
// cannot keep it, exactly as the CPU's search_if_needed decides.
template <class Thread>
KMLUT_HD void nearest_centre_body(const Thread& at, const NearestCentreTile* tiles,
                                  NearestCentreShared& shared) {
  const NearestCentreTile tile = tiles[at.block()];
  const std::uint32_t values = tile.k * static_cast<std::uint32_t>(tile.d);
  for (std::uint32_t v = at.thread(); v < values; v += at.threads())
    shared.centres[v] = tile.centres[v];  // consecutive threads, consecutive words
  at.sync();
  for (std::uint32_t i = at.thread(); i < tile.count; i += at.threads()) {
    float x[kMaxDeviceVectorDim];
    load_point(tile.points, i, tile.d, x);
    if (tile.bounds != nullptr) {
      const CentreBounds& b = *tile.bounds;
      const std::uint32_t label = tile.labels[i];
      const numeric::MovedBounds moved = numeric::move_bounds(
          tile.upper[i], tile.lower[i], b.shift[label],
          label == b.max_shift_index ? b.second_shift : b.max_shift, b.half_gap[label]);
      tile.upper[i] = moved.upper;
      tile.lower[i] = moved.lower;
      if (moved.upper <= moved.bound)
        continue;
      const float own = std::sqrt(numeric::squared_distance(
          x, &shared.centres[label * static_cast<std::uint32_t>(tile.d)], tile.d));
      tile.upper[i] = own;
      if (own <= moved.bound)
        continue;
    }
    const NearestTwoCentres nearest = scan_centres(x, shared.centres, tile.k, tile.d);
    tile.labels[i] = static_cast<std::uint8_t>(nearest.index);
    tile.upper[i] = std::sqrt(nearest.best);
    tile.lower[i] = std::sqrt(nearest.second);
  }
}

}  // namespace kmlut::cuda
