// Launches the sensitivity phase (kernels/bodies/sensitivity_weights_body.hpp), one block per
// problem.
#include <cstdint>

#include "kernels/bodies/sensitivity_weights_body.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/scalar_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kSensitivityThreads)
    sensitivity_weights_kernel(const DeviceRequest* requests, const DeviceProblem* problems) {
  __shared__ SensitivityShared shared;
  sensitivity_weights_body(DeviceThread{}, requests, problems, shared);
}

}  // namespace

void launch_sensitivity_weights(const DeviceRequest* requests, const DeviceProblem* problems,
                                std::uint32_t problem_count, cudaStream_t stream) {
  if (problem_count == 0)
    return;
  sensitivity_weights_kernel<<<problem_count, kSensitivityThreads, 0, stream>>>(requests, problems);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
