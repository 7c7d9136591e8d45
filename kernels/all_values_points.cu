// Launches the all-values phase (kernels/bodies/all_values_body.hpp), one block per problem.
#include <cstdint>

#include "kernels/bodies/all_values_body.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/scalar_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kAllValuesThreads)
    all_values_points_kernel(const DeviceRequest* requests, const DeviceProblem* problems) {
  __shared__ AllValuesShared shared;
  all_values_points_body(DeviceThread{}, requests, problems, shared);
}

}  // namespace

void launch_all_values_points(const DeviceRequest* requests, const DeviceProblem* problems,
                              std::uint32_t problem_count, cudaStream_t stream) {
  if (problem_count == 0)
    return;
  all_values_points_kernel<<<problem_count, kAllValuesThreads, 0, stream>>>(requests, problems);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
