// Block-wide reduction and exclusive scan through shared memory in a fixed order, so a result
// never depends on timing and the CPU grid executor computes the device's bits. Both rake: each
// of kRakes threads (a warp's worth) combines a contiguous segment of the lanes in order, one
// thread combines the segment totals, and every lane reads its answer; four barriers whatever the
// block size (a tree would take log2 of it). Every thread of the block calls them with the same
// kThreads (a power of two, the block size); each returns to every thread and leaves the scratch
// reusable.
#pragma once

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

template <unsigned kThreads, class T>
struct RakeScratch {
  static_assert((kThreads & (kThreads - 1)) == 0, "a block of a power-of-two size");
  static constexpr unsigned kRakes = kThreads < 32 ? kThreads : 32;
  static constexpr unsigned kSegment = kThreads / kRakes;
  T lanes[kThreads];         // per lane: op over its segment up to and including it
  T segment_before[kRakes];  // per segment: op over the segments before it
  T total;
};

template <unsigned kThreads, class T>
using ReduceScratch = RakeScratch<kThreads, T>;
template <unsigned kThreads, class T>
using ScanScratch = RakeScratch<kThreads, T>;

// Integer addition for the collectives: counts and offsets, exact in any order.
struct IntegerSum {
  template <class T>
  KMLUT_HD T operator()(T a, T b) const {
    return a + b;
  }
};

template <class T>
struct ScanResult {
  T before;  // op over the lanes before this one (`identity` for lane 0)
  T total;   // op over every lane
};

// op(earlier, later) must be associative and `identity` a left identity of it.
template <unsigned kThreads, class Thread, class T, class Op>
KMLUT_HD ScanResult<T> block_exclusive_scan(const Thread& at, T value, T identity, Op op,
                                            RakeScratch<kThreads, T>& scratch) {
  using Scratch = RakeScratch<kThreads, T>;
  const unsigned t = at.thread();
  scratch.lanes[t] = value;
  at.sync();
  if (t < Scratch::kRakes) {
    const unsigned first = t * Scratch::kSegment;
    for (unsigned lane = first + 1; lane < first + Scratch::kSegment; ++lane)
      scratch.lanes[lane] = op(scratch.lanes[lane - 1], scratch.lanes[lane]);
  }
  at.sync();
  if (t == 0) {
    T running = identity;
    for (unsigned rake = 0; rake < Scratch::kRakes; ++rake) {
      scratch.segment_before[rake] = running;
      running = op(running, scratch.lanes[(rake + 1) * Scratch::kSegment - 1]);
    }
    scratch.total = running;
  }
  at.sync();
  const T& segment_before = scratch.segment_before[t / Scratch::kSegment];
  const ScanResult<T> result{
      t % Scratch::kSegment == 0 ? segment_before : op(segment_before, scratch.lanes[t - 1]),
      scratch.total};
  at.sync();
  return result;
}

// op(a, b) combines lanes a < b; it must be associative.
template <unsigned kThreads, class Thread, class T, class Op>
KMLUT_HD T block_reduce(const Thread& at, T value, Op op, RakeScratch<kThreads, T>& scratch) {
  using Scratch = RakeScratch<kThreads, T>;
  const unsigned t = at.thread();
  scratch.lanes[t] = value;
  at.sync();
  if (t < Scratch::kRakes) {
    const unsigned first = t * Scratch::kSegment;
    T running = scratch.lanes[first];
    for (unsigned lane = first + 1; lane < first + Scratch::kSegment; ++lane)
      running = op(running, scratch.lanes[lane]);
    scratch.segment_before[t] = running;  // here: the segment's own total
  }
  at.sync();
  if (t == 0) {
    T running = scratch.segment_before[0];
    for (unsigned rake = 1; rake < Scratch::kRakes; ++rake)
      running = op(running, scratch.segment_before[rake]);
    scratch.total = running;
  }
  at.sync();
  const T total = scratch.total;
  at.sync();
  return total;
}

}  // namespace kmlut::cuda
