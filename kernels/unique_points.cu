// The unique-points phase: one thread block per problem turns its histogram into the block's
// ascending unique clustered values and their counts (unique_points_steps.hpp). Counts are added
// with double atomics; they are integers far below 2^53, so the sums are exact in any order.
#include <cstdint>
#include <cub/block/block_scan.cuh>

#include "kernels/cuda_check.cuh"
#include "kernels/scalar_kernels.hpp"
#include "kernels/unique_points_steps.hpp"
#include "kmlut/dtype.hpp"

namespace kmlut::cuda {
namespace {

constexpr unsigned kThreads = 1024;
constexpr std::uint32_t kKeysPerThread = numeric::kPatternKeys / kThreads;

// The clustered value of the last non-empty bin so far, if any.
struct LastValue {
  double value;
  int present;
};

struct KeepLater {
  __device__ LastValue operator()(const LastValue& earlier, const LastValue& later) const {
    return later.present ? later : earlier;
  }
};

__global__ void __launch_bounds__(kThreads)
    unique_points_kernel(const DeviceRequest* requests, const DeviceProblem* problems) {
  using LastValueScan = cub::BlockScan<LastValue, kThreads>;
  using CountScan = cub::BlockScan<std::uint32_t, kThreads>;
  __shared__ union {
    typename LastValueScan::TempStorage last_value;
    typename CountScan::TempStorage count;
  } scratch;
  const DeviceProblem& problem = problems[blockIdx.x];
  const DeviceRequest& request = requests[problem.request];
  const bool bf16 = static_cast<DType>(request.dtype) == DType::BF16;
  const std::uint32_t first_key = threadIdx.x * kKeysPerThread;
  const KeyRangeSummary summary =
      summarize_keys(problem.histogram, first_key, kKeysPerThread, bf16, request.rounding_table);
  LastValue before;
  LastValueScan(scratch.last_value)
      .ExclusiveScan(LastValue{summary.last_value, summary.any}, before, LastValue{0.0, 0},
                     KeepLater{});
  __syncthreads();  // the scratch is reused
  const bool first_starts = summary.any && (!before.present || summary.first_value != before.value);
  std::uint32_t first_index = 0;
  std::uint32_t total = 0;
  CountScan(scratch.count)
      .ExclusiveSum(summary.inner_starts + (first_starts ? 1u : 0u), first_index, total);
  emit_unique_values(
      problem.histogram, first_key, kKeysPerThread, bf16, request.rounding_table, first_starts,
      first_index, problem.points,
      [&](std::uint32_t index, double count) { atomicAdd(&problem.point_weights[index], count); });
  if (threadIdx.x == 0)
    *problem.point_count = total;
}

}  // namespace

void launch_unique_points(const DeviceRequest* requests, const DeviceProblem* problems,
                          std::uint32_t problem_count, cudaStream_t stream) {
  if (problem_count == 0)
    return;
  unique_points_kernel<<<problem_count, kThreads, 0, stream>>>(requests, problems);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
