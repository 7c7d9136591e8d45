// The moves of a later Lloyd assignment as kernel bodies: the points whose label changed, in point
// order, which lloyd_apply_moves_body (kernels/bodies/lloyd_sums_body.hpp) then applies to the
// cluster sums in the CPU's order (host/backends/cpu/lloyd_kmeans.cpp, apply_moves). A block owns
// a chunk of kLloydChunk points and each of its threads a consecutive run of them: the blocks
// count their moves, one thread turns the counts into each chunk's place, and the blocks write
// their moves there, each thread's place from a fixed-order block scan, so the list never depends
// on timing. The previous labels are brought up to date as the moves are written, ready for the
// next assignment.
#pragma once

#include <cstdint>

#include "kernels/bodies/lloyd_sums_body.hpp"
#include "kernels/grid/block_collectives.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

constexpr unsigned kLloydMovesThreads = 256;

template <unsigned kThreads>
struct LloydMovesShared {
  static_assert(kLloydChunk % kThreads == 0, "a chunk splits into equal runs");
  ScanScratch<kThreads, std::uint32_t> scan;
};

// One problem's labels and its move list (device memory).
struct LloydMoveList {
  const std::uint8_t* labels;  // n: this assignment's
  std::uint8_t* previous;      // n: the last assignment's; then this one's
  std::uint32_t n;
  std::uint32_t* chunk_moves;  // per chunk: its number of moves, then the moves before it
  LloydMove* moves;            // up to n
  std::uint32_t* move_count;
};

// The points [begin, end) of this thread's run of its block's chunk.
template <unsigned kThreads, class Thread>
KMLUT_HD void thread_run(const Thread& at, std::uint32_t n, std::uint32_t& begin,
                         std::uint32_t& end) {
  constexpr std::uint32_t kRun = kLloydChunk / kThreads;
  const std::uint64_t first = std::uint64_t{at.block()} * kLloydChunk + at.thread() * kRun;
  begin = first < n ? static_cast<std::uint32_t>(first) : n;
  end = first + kRun < n ? static_cast<std::uint32_t>(first + kRun) : n;
}

KMLUT_HD inline std::uint32_t moves_in(const LloydMoveList& list, std::uint32_t begin,
                                       std::uint32_t end) {
  std::uint32_t count = 0;
  for (std::uint32_t i = begin; i < end; ++i)
    count += list.labels[i] != list.previous[i] ? 1u : 0u;
  return count;
}

// Block b counts the moves of chunk b.
template <unsigned kThreads, class Thread>
KMLUT_HD void lloyd_count_moves_body(const Thread& at, const LloydMoveList& list,
                                     LloydMovesShared<kThreads>& shared) {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  thread_run<kThreads>(at, list.n, begin, end);
  const std::uint32_t total =
      block_reduce<kThreads>(at, moves_in(list, begin, end), IntegerSum{}, shared.scan);
  if (at.thread() == 0)
    list.chunk_moves[at.block()] = total;
}

// One thread: each chunk's count becomes the number of moves before it, in chunk order.
KMLUT_HD inline void lloyd_place_moves(const LloydMoveList& list) {
  std::uint32_t before = 0;
  for (std::uint32_t chunk = 0; chunk < lloyd_chunks(list.n); ++chunk) {
    const std::uint32_t count = list.chunk_moves[chunk];
    list.chunk_moves[chunk] = before;
    before += count;
  }
  *list.move_count = before;
}

// Block b writes the moves of chunk b in point order, and the chunk's previous labels become
// this assignment's.
template <unsigned kThreads, class Thread>
KMLUT_HD void lloyd_write_moves_body(const Thread& at, const LloydMoveList& list,
                                     LloydMovesShared<kThreads>& shared) {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  thread_run<kThreads>(at, list.n, begin, end);
  const ScanResult<std::uint32_t> place =
      block_exclusive_scan<kThreads>(at, moves_in(list, begin, end), 0u, IntegerSum{}, shared.scan);
  std::uint32_t next = list.chunk_moves[at.block()] + place.before;
  for (std::uint32_t i = begin; i < end; ++i) {
    const std::uint8_t to = list.labels[i];
    const std::uint8_t from = list.previous[i];
    if (to != from) {
      list.moves[next++] = {i, from, to};
      list.previous[i] = to;
    }
  }
}

}  // namespace kmlut::cuda
