// The unique-points phase (kernels/unique_points.cu launches it): one grid block per problem turns
// its histogram into the block's ascending unique clustered values and their counts
// (kernels/unique_points_steps.hpp). Two fixed-order block scans carry the previous thread's last
// value and number the unique values. Counts are added atomically; they are integers far below
// 2^53, so the sums are exact in any order.
#pragma once

#include <cstdint>

#include "kernels/grid/block_collectives.hpp"
#include "kernels/grid/grid_atomics.hpp"
#include "kernels/scalar_batch.hpp"
#include "kernels/unique_points_steps.hpp"
#include "kmlut/dtype.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

constexpr unsigned kUniquePointsThreads = 1024;

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

struct AddCounts {
  KMLUT_HD std::uint32_t operator()(std::uint32_t a, std::uint32_t b) const { return a + b; }
};

union UniquePointsShared {
  ScanScratch<kUniquePointsThreads, LastValue> last_value;
  ScanScratch<kUniquePointsThreads, std::uint32_t> count;
};

template <class Thread>
KMLUT_HD void unique_points_body(const Thread& at, const DeviceRequest* requests,
                                 const DeviceProblem* problems, UniquePointsShared& shared) {
  constexpr std::uint32_t kKeysPerThread = numeric::kPatternKeys / kUniquePointsThreads;
  const DeviceProblem& problem = problems[at.block()];
  const DeviceRequest& request = requests[problem.request];
  const bool bf16 = static_cast<DType>(request.dtype) == DType::BF16;
  const std::uint32_t first_key = at.thread() * kKeysPerThread;
  const KeyRangeSummary summary =
      summarize_keys(problem.histogram, first_key, kKeysPerThread, bf16, request.rounding_table);
  const LastValue before =
      block_exclusive_scan<kUniquePointsThreads>(at, LastValue{summary.last_value, summary.any},
                                                 LastValue{0.0, 0}, KeepLater{}, shared.last_value)
          .before;
  const bool first_starts = summary.any && (!before.present || summary.first_value != before.value);
  const ScanResult<std::uint32_t> numbering = block_exclusive_scan<kUniquePointsThreads>(
      at, summary.inner_starts + (first_starts ? 1u : 0u), 0u, AddCounts{}, shared.count);
  // Only the weights of the block's values need zeroing (the batch's memset would clear room for
  // 65,536 of them per block).
  for (std::uint32_t i = at.thread(); i < numbering.total; i += at.threads())
    problem.point_weights[i] = 0.0;
  at.sync();
  emit_unique_values(
      problem.histogram, first_key, kKeysPerThread, bf16, request.rounding_table, first_starts,
      numbering.before, problem.points,
      [&](std::uint32_t index, double count) { atomic_add(&problem.point_weights[index], count); });
  if (at.thread() == 0)
    *problem.point_count = numbering.total;
}

}  // namespace kmlut::cuda
