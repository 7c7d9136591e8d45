// Launches the clustering phase (kernels/bodies/exact_dp_body.hpp), one block per listed problem.
// Compiled with -fmad=false (kernels/CMakeLists.txt): the costs must round as the CPU's do.
#include <cstdint>

#include "kernels/bodies/exact_dp_body.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/scalar_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kExactDpThreads)
    exact_dp_kernel(const DeviceRequest* requests, const DeviceProblem* problems,
                    const std::uint32_t* problem_ids) {
  __shared__ CtaShared<kExactDpThreads> shared;
  exact_dp_body<kExactDpThreads>(DeviceThread{}, requests, problems, problem_ids, shared);
}

}  // namespace

void launch_exact_dp(const DeviceRequest* requests, const DeviceProblem* problems,
                     const std::uint32_t* problem_ids, std::uint32_t count, cudaStream_t stream) {
  if (count == 0)
    return;
  exact_dp_kernel<<<count, kExactDpThreads, 0, stream>>>(requests, problems, problem_ids);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
