// The moves of a later Lloyd assignment as a kernel body: the points whose label changed, in point
// order, which lloyd_apply_moves_body (kernels/bodies/lloyd_sums_body.hpp) then applies to the
// cluster sums in the CPU's order (host/backends/cpu/lloyd_kmeans.cpp, apply_moves). One block
// walks the points a block-width at a time; a fixed-order block scan gives each changed point its
// place, so the list never depends on timing. The previous labels are brought up to date as they
// are read, ready for the next assignment.
#pragma once

#include <cstdint>

#include "kernels/bodies/lloyd_sums_body.hpp"
#include "kernels/grid/block_collectives.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

constexpr unsigned kLloydMovesThreads = 256;

struct LloydMovesShared {
  ScanScratch<kLloydMovesThreads, std::uint32_t> scan;
};

// One block: moves[0, *move_count) are the points with labels[i] ≠ previous[i], ascending; then
// previous = labels.
template <class Thread>
KMLUT_HD void lloyd_collect_moves_body(const Thread& at, const std::uint8_t* labels,
                                       std::uint8_t* previous, std::uint32_t n, LloydMove* moves,
                                       std::uint32_t* move_count, LloydMovesShared& shared) {
  std::uint32_t written = 0;  // the same on every thread: the scans' totals
  for (std::uint32_t first = 0; first < n; first += kLloydMovesThreads) {
    const std::uint32_t i = first + at.thread();
    const std::uint8_t to = i < n ? labels[i] : 0;
    const std::uint8_t from = i < n ? previous[i] : 0;
    const std::uint32_t moved = i < n && to != from ? 1u : 0u;
    const ScanResult<std::uint32_t> place = block_exclusive_scan<kLloydMovesThreads>(
        at, moved, 0u, [](std::uint32_t a, std::uint32_t b) { return a + b; }, shared.scan);
    if (moved != 0) {
      moves[written + place.before] = {i, from, to};
      previous[i] = to;
    }
    written += place.total;
  }
  if (at.thread() == 0)
    *move_count = written;
}

}  // namespace kmlut::cuda
