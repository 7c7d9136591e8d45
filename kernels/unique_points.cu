// Launches the unique-points phase (kernels/bodies/unique_points_body.hpp), one block per problem.
#include <cstdint>

#include "kernels/bodies/unique_points_body.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/scalar_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kUniquePointsThreads)
    unique_points_kernel(const DeviceRequest* requests, const DeviceProblem* problems) {
  __shared__ UniquePointsShared shared;
  unique_points_body(DeviceThread{}, requests, problems, shared);
}

}  // namespace

void launch_unique_points(const DeviceRequest* requests, const DeviceProblem* problems,
                          std::uint32_t problem_count, cudaStream_t stream) {
  if (problem_count == 0)
    return;
  unique_points_kernel<<<problem_count, kUniquePointsThreads, 0, stream>>>(requests, problems);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
