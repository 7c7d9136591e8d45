// Launches k-means++ seeding (kernels/bodies/kmeans_plus_plus_body.hpp), one block per problem.
// Compiled with -fmad=false: the distances and potentials must round as the CPU's do.
#include <cstdint>

#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/vector_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kSeedingThreads)
    kmeans_plus_plus_kernel(const SeedingProblem* problems) {
  __shared__ SeedingShared shared;
  kmeans_plus_plus_body(DeviceThread{}, problems, shared);
}

}  // namespace

void launch_kmeans_plus_plus(const SeedingProblem* problems, std::uint32_t problem_count,
                             cudaStream_t stream) {
  if (problem_count == 0)
    return;
  kmeans_plus_plus_kernel<<<problem_count, kSeedingThreads, 0, stream>>>(problems);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
