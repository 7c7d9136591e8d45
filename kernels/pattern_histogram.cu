// Launches the histogram phase (kernels/bodies/histogram_body.hpp) over a batch's chunks.
#include <cstdint>

#include "kernels/bodies/histogram_body.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/scalar_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kHistogramThreads)
    histogram_kernel(const DeviceRequest* requests, const DeviceProblem* problems,
                     const HistogramChunk* chunks) {
  __shared__ HistogramShared shared;
  histogram_body(DeviceThread{}, requests, problems, chunks, shared);
}

}  // namespace

void launch_histograms(const DeviceRequest* requests, const DeviceProblem* problems,
                       const HistogramChunk* chunks, std::uint32_t chunk_count,
                       cudaStream_t stream) {
  if (chunk_count == 0)
    return;
  histogram_kernel<<<chunk_count, kHistogramThreads, 0, stream>>>(requests, problems, chunks);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
