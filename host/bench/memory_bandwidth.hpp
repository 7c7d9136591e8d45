// The memory-bandwidth floor `kmlut bench` compares against: how fast this machine streams through
// memory it only reads, measured once per run. A workload that must read and write B bytes once
// cannot finish faster than B / bandwidth; the report gives that floor and how close a case got.
#pragma once

#include <cstdint>

namespace kmlut::bench {

struct ReadBandwidth {
  double bytes_per_second = 0;
  std::uint64_t probe_bytes = 0;  // the size of the buffer read
  unsigned threads = 1;           // threads reading it, each its own slice
  int passes = 0;                 // the best of this many passes
};

// Sums a `probe_bytes` buffer (larger than the last-level cache) on `threads` threads, best of
// `passes` passes. The first touch of the buffer is not timed.
ReadBandwidth measure_read_bandwidth(std::uint64_t probe_bytes, unsigned threads, int passes = 3);

}  // namespace kmlut::bench
