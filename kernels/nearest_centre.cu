// Launches the fused distance + argmin step of vector Lloyd
// (kernels/bodies/nearest_centre_body.hpp), one block per tile. Compiled with -fmad=false: the
// distances must round as the CPU's do.
#include <cstdint>

#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/vector_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kNearestCentreThreads)
    nearest_centre_kernel(const NearestCentreTile* tiles) {
  __shared__ NearestCentreShared shared;
  nearest_centre_body(DeviceThread{}, tiles, shared);
}

}  // namespace

void launch_nearest_centre(const NearestCentreTile* tiles, std::uint32_t tile_count,
                           cudaStream_t stream) {
  if (tile_count == 0)
    return;
  nearest_centre_kernel<<<tile_count, kNearestCentreThreads, 0, stream>>>(tiles);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
