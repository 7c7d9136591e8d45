// The unique-points phase (kernels/unique_points.cu launches it): one grid block per problem turns
// its histogram into the block's ascending unique clustered values and their counts
// (kernels/unique_points_steps.hpp). The block walks the histogram in tiles of kTileKeys keys:
// adjacent threads load adjacent words of a tile into shared memory (coalesced), then each thread
// takes kTileKeysPerThread consecutive keys of it, stored transposed (key i of thread t in row i,
// column t, rows padded by one word) so that neither the stores nor the reads conflict on a bank.
// Two fixed-order block scans per tile carry the
// previous thread's (or tile's) last value and number the unique values, so the numbering is the
// one a single walk in key order gives. The thread where a value starts stores its first count
// share; a thread that continues a value started before its keys adds its share atomically after
// the tile's barrier. Counts are integers far below 2^53, so the sums are exact in any order, and
// no point weight needs zeroing first.
#pragma once

#include <cstdint>

#include "kernels/grid/block_collectives.hpp"
#include "kernels/grid/grid_atomics.hpp"
#include "kernels/scalar_batch.hpp"
#include "kernels/unique_points_steps.hpp"
#include "kmlut/dtype.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

// 256 threads of 32 keys: eight tiles of 8,192 keys (33 KiB with the padding) and 4.5 KiB of scan
// scratch, under the 48 KiB of static shared memory.
constexpr unsigned kUniquePointsThreads = 256;
constexpr std::uint32_t kTileKeysPerThread = 32;
constexpr std::uint32_t kTileKeys = kUniquePointsThreads * kTileKeysPerThread;
constexpr std::uint32_t kTileRowWords = kUniquePointsThreads + 1;

// The clustered value of the last non-empty bin so far, if any.
struct LastValue {
  double value;
  int present;
};

struct KeepLater {
  KMLUT_HD LastValue operator()(const LastValue& earlier, const LastValue& later) const {
    return later.present ? later : earlier;
  }
};

struct UniquePointsShared {
  std::uint32_t tile_counts[kTileKeysPerThread * kTileRowWords];
  union {
    ScanScratch<kUniquePointsThreads, LastValue> last_value;
    ScanScratch<kUniquePointsThreads, std::uint32_t> count;
  } scans;
};

template <class Thread>
KMLUT_HD void unique_points_body(const Thread& at, const DeviceRequest* requests,
                                 const DeviceProblem* problems, UniquePointsShared& shared) {
  const DeviceProblem& problem = problems[at.block()];
  const DeviceRequest& request = requests[problem.request];
  const bool bf16 = static_cast<DType>(request.dtype) == DType::BF16;
  LastValue tiles_last{0.0, 0};    // the last value of the tiles before
  std::uint32_t tiles_values = 0;  // the unique values that start in the tiles before
  for (std::uint32_t tile_key = 0; tile_key < numeric::kPatternKeys; tile_key += kTileKeys) {
    for (std::uint32_t i = at.thread(); i < kTileKeys; i += at.threads()) {
      const std::uint32_t row = i % kTileKeysPerThread;
      const std::uint32_t column = i / kTileKeysPerThread;
      shared.tile_counts[row * kTileRowWords + column] = problem.histogram[tile_key + i];
    }
    at.sync();
    const std::uint32_t* counts = shared.tile_counts + at.thread();
    const std::uint32_t first_key = tile_key + at.thread() * kTileKeysPerThread;
    const KeyRangeSummary summary = summarize_keys(
        counts, kTileRowWords, first_key, kTileKeysPerThread, bf16, request.rounding_table);
    const ScanResult<LastValue> last = block_exclusive_scan<kUniquePointsThreads>(
        at, LastValue{summary.last_value, summary.any}, LastValue{0.0, 0}, KeepLater{},
        shared.scans.last_value);
    const LastValue before = KeepLater{}(tiles_last, last.before);
    const bool first_starts =
        summary.any && (!before.present || summary.first_value != before.value);
    const ScanResult<std::uint32_t> numbering = block_exclusive_scan<kUniquePointsThreads>(
        at, summary.inner_starts + (first_starts ? 1u : 0u), 0u, IntegerSum{}, shared.scans.count);
    std::uint32_t continued_index = 0;
    double continued_weight = 0.0;  // this thread's share of a value started before its keys
    emit_unique_values(counts, kTileRowWords, first_key, kTileKeysPerThread, bf16,
                       request.rounding_table, first_starts, tiles_values + numbering.before,
                       problem.points, [&](std::uint32_t index, double weight, bool started) {
                         if (started) {
                           problem.point_weights[index] = weight;
                         } else {
                           continued_index = index;
                           continued_weight = weight;
                         }
                       });
    // Every value's first share is stored, and the tile may be overwritten.
    at.sync();
    if (continued_weight > 0.0)
      atomic_add(&problem.point_weights[continued_index], continued_weight);
    tiles_last = KeepLater{}(tiles_last, last.total);
    tiles_values += numbering.total;
  }
  if (at.thread() == 0)
    *problem.point_count = tiles_values;
}

}  // namespace kmlut::cuda
