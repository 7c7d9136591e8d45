// The assignment step of vector Lloyd (cluster_dim d ≤ 8, k ≤ 256) as a kernel body — fused
// distance and argmin, never the N×K distance matrix: a block stages its tile's centres in shared
// memory, and each thread scans them for its points, keeping the nearest centre and the nearest
// two squared distances (what Hamerly's bounds need). The arithmetic is the CPU's
// (host/backends/cpu/centroid_table.hpp): Σ_j (x_j − c_j)² in float32, summed in j order with no
// fused multiply-add (-fmad=false on the device), the lowest index winning ties; the second
// distance is the second smallest of all k (equal to the first when two centres tie).
//
// Status: tested on the CPU grid executor against CentroidTable::nearest_two; not yet launched by
// the CUDA backend (vector palettization still runs on the CPU).
#pragma once

#include <cstdint>
#include <limits>

#include "kmlut/numeric/host_device.hpp"
#include "kmlut/numeric/lloyd_arithmetic.hpp"

namespace kmlut::cuda {

constexpr unsigned kNearestCentreThreads = 256;
constexpr int kMaxDeviceVectorDim = 8;
constexpr std::uint32_t kMaxDeviceClusters = 256;

// A run of consecutive points of one problem and the centres they are compared with.
struct NearestCentreTile {
  const float* points;  // count rows of d floats
  std::uint32_t count;
  std::int32_t d;        // 1..kMaxDeviceVectorDim
  const float* centres;  // k rows of d floats
  std::uint32_t k;       // 1..kMaxDeviceClusters
  std::uint8_t* labels;  // per point: the nearest centre
  float* nearest;        // per point: its squared distance
  float* second;         // per point: the second smallest squared distance (+inf when k = 1)
};

struct NearestCentreShared {
  float centres[kMaxDeviceClusters * kMaxDeviceVectorDim];
};

// Block b assigns the points of tiles[b].
template <class Thread>
KMLUT_HD void nearest_centre_body(const Thread& at, const NearestCentreTile* tiles,
                                  NearestCentreShared& shared) {
  const NearestCentreTile tile = tiles[at.block()];
  const std::uint32_t values = tile.k * static_cast<std::uint32_t>(tile.d);
  for (std::uint32_t v = at.thread(); v < values; v += at.threads())
    shared.centres[v] = tile.centres[v];  // consecutive threads, consecutive words
  at.sync();
  const float infinity = std::numeric_limits<float>::infinity();
  for (std::uint32_t i = at.thread(); i < tile.count; i += at.threads()) {
    float x[kMaxDeviceVectorDim];
    for (int j = 0; j < tile.d; ++j)
      x[j] = tile.points[std::uint64_t{i} * static_cast<std::uint32_t>(tile.d) + j];
    std::uint32_t best = 0;
    float best_distance = infinity;
    float second_distance = infinity;
    for (std::uint32_t c = 0; c < tile.k; ++c) {
      const float distance = numeric::squared_distance(x, &shared.centres[c * tile.d], tile.d);
      if (distance < best_distance) {
        second_distance = best_distance;
        best_distance = distance;
        best = c;
      } else if (distance < second_distance) {
        second_distance = distance;
      }
    }
    tile.labels[i] = static_cast<std::uint8_t>(best);
    tile.nearest[i] = best_distance;
    tile.second[i] = second_distance;
  }
}

}  // namespace kmlut::cuda
