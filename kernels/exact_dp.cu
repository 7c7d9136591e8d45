// Launches the clustering phase (kernels/bodies/exact_dp_body.hpp), one block per listed problem,
// with blocks of 32, 64 or 256 threads. Compiled with -fmad=false (kernels/CMakeLists.txt): the
// costs must round as the CPU's do.
#include <cstdint>
#include <string>

#include "kernels/bodies/exact_dp_body.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/scalar_kernels.hpp"
#include "kmlut/error.hpp"

namespace kmlut::cuda {
namespace {

template <unsigned kThreads>
__global__ void __launch_bounds__(kThreads)
    exact_dp_kernel(const DeviceRequest* requests, const DeviceProblem* problems,
                    const std::uint32_t* problem_ids) {
  __shared__ CtaShared<kThreads> shared;
  exact_dp_body<kThreads>(DeviceThread{}, requests, problems, problem_ids, shared);
}

template <unsigned kThreads>
void launch_blocks_of(const DeviceRequest* requests, const DeviceProblem* problems,
                      const std::uint32_t* problem_ids, std::uint32_t count, cudaStream_t stream) {
  exact_dp_kernel<kThreads><<<count, kThreads, 0, stream>>>(requests, problems, problem_ids);
}

}  // namespace

void launch_exact_dp(const DeviceRequest* requests, const DeviceProblem* problems,
                     const std::uint32_t* problem_ids, std::uint32_t count, unsigned threads,
                     cudaStream_t stream) {
  if (!is_exact_dp_block_size(threads)) {
    throw Error("exact DP blocks of " + std::to_string(threads) +
                " threads: the kernel is built for 32, 64 or 256");
  }
  if (count == 0)
    return;
  if (threads == 32)
    launch_blocks_of<32>(requests, problems, problem_ids, count, stream);
  else if (threads == 64)
    launch_blocks_of<64>(requests, problems, problem_ids, count, stream);
  else
    launch_blocks_of<256>(requests, problems, problem_ids, count, stream);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
