// Launches the LUT quantization phase (kernels/bodies/lut_quantization_body.hpp), one thread per
// listed problem.
#include <cstdint>

#include "kernels/bodies/lut_quantization_body.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/scalar_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kLutQuantizationThreads)
    lut_quantization_kernel(const DeviceRequest* requests, const DeviceProblem* problems,
                            const std::uint32_t* problem_ids, std::uint32_t count) {
  lut_quantization_body(DeviceThread{}, requests, problems, problem_ids, count);
}

}  // namespace

void launch_lut_quantization(const DeviceRequest* requests, const DeviceProblem* problems,
                             const std::uint32_t* problem_ids, std::uint32_t count,
                             cudaStream_t stream) {
  if (count == 0)
    return;
  const std::uint32_t blocks = (count + kLutQuantizationThreads - 1) / kLutQuantizationThreads;
  lut_quantization_kernel<<<blocks, kLutQuantizationThreads, 0, stream>>>(requests, problems,
                                                                          problem_ids, count);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
