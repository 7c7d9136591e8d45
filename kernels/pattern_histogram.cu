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
  extern __shared__ std::uint32_t shared_counts[];
  histogram_body(DeviceThread{}, requests, problems, chunks, shared_counts);
}

}  // namespace

void launch_histograms(const DeviceRequest* requests, const DeviceProblem* problems,
                       const HistogramChunk* chunks, std::uint32_t chunk_count,
                       cudaStream_t stream) {
  if (chunk_count == 0)
    return;
  KMLUT_CUDA_CHECK(cudaFuncSetAttribute(histogram_kernel,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(kHistogramSharedBytes)));
  histogram_kernel<<<chunk_count, kHistogramThreads, kHistogramSharedBytes, stream>>>(
      requests, problems, chunks);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
