// Launches per-channel scale (kernels/bodies/per_channel_scale_body.hpp), one block per row.
#include <cstdint>

#include "kernels/bodies/per_channel_scale_body.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/scalar_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kScaleThreads)
    per_channel_scale_kernel(const DeviceRequest* requests, const ScaleRow* rows) {
  __shared__ ScaleShared shared;
  per_channel_scale_body(DeviceThread{}, requests, rows, shared);
}

}  // namespace

void launch_per_channel_scale(const DeviceRequest* requests, const ScaleRow* rows,
                              std::uint32_t row_count, cudaStream_t stream) {
  if (row_count == 0)
    return;
  per_channel_scale_kernel<<<row_count, kScaleThreads, 0, stream>>>(requests, rows);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
