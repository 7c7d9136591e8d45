// The scatter of a block-wide stable counting sort: elements 0..count-1, each in a bucket, go to
// their bucket's next free position in element order, a tile of kThreads elements (one a thread)
// at a time. Within a tile an element is ranked among the earlier ones of its bucket by a scan of
// the tile's buckets in shared memory (O(kThreads) compares; no atomics, so the placement never
// depends on timing), and the tile's last element of a bucket advances the bucket's cursor.
// Used to regroup sensitivities by value and to radix sort the all-values path's keys.
#pragma once

#include <cstdint>

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

// bucket_of(i) -> std::uint32_t below 0xFFFFFFFF; cursor(bucket) -> std::uint64_t& (the bucket's
// next position, in shared or global memory, read by every thread); place(i, position).
// tile_buckets: kThreads entries of shared memory. Every thread of the block calls it.
template <unsigned kThreads, class Thread, class BucketOf, class Cursor, class Place>
KMLUT_HD void stable_scatter(const Thread& at, std::uint64_t count, BucketOf&& bucket_of,
                             Cursor&& cursor, Place&& place, std::uint32_t* tile_buckets) {
  constexpr std::uint32_t kAbsent = 0xFFFFFFFFu;
  const unsigned t = at.thread();
  for (std::uint64_t tile = 0; tile < count; tile += kThreads) {
    const bool present = tile + t < count;
    const std::uint32_t bucket = present ? bucket_of(tile + t) : kAbsent;
    tile_buckets[t] = bucket;
    at.sync();
    std::uint32_t rank = 0;  // earlier elements of the tile in the same bucket
    for (unsigned u = 0; u < t; ++u)
      rank += tile_buckets[u] == bucket ? 1u : 0u;
    bool last = true;  // no later one
    for (unsigned u = t + 1; u < kThreads && last; ++u)
      last = tile_buckets[u] != bucket;
    if (present)
      place(tile + t, cursor(bucket) + rank);
    at.sync();
    if (present && last)
      cursor(bucket) += rank + 1;
    at.sync();
  }
}

}  // namespace kmlut::cuda
