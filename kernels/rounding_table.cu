// The fp16 bit pattern -> rounded value table of fast mode, one thread per pattern.
#include <cstdint>
#include <memory>

#include "kernels/cuda_api.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/scalar_kernels.hpp"
#include "kmlut/numeric/rounding.hpp"

namespace kmlut::cuda {
namespace {

constexpr unsigned kThreads = 256;

__global__ void rounding_table_kernel(float scale, float* table) {
  const std::uint32_t bits = blockIdx.x * blockDim.x + threadIdx.x;
  if (bits < numeric::kHalfPatterns) {
    table[bits] = numeric::rounded_half_value(static_cast<std::uint16_t>(bits), scale);
  }
}

struct DeviceFree {
  void operator()(float* pointer) const { cudaFree(pointer); }
};

}  // namespace

void launch_rounding_table(int precision, float* table, cudaStream_t stream) {
  rounding_table_kernel<<<numeric::kHalfPatterns / kThreads, kThreads, 0, stream>>>(
      numeric::decimal_scale(precision), table);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

void compute_rounding_table(int precision, float* table) {
  constexpr std::size_t kBytes = numeric::kHalfPatterns * sizeof(float);
  float* raw = nullptr;
  KMLUT_CUDA_CHECK(cudaMalloc(&raw, kBytes));
  std::unique_ptr<float, DeviceFree> device_table(raw);
  launch_rounding_table(precision, device_table.get(), nullptr);
  KMLUT_CUDA_CHECK(cudaMemcpy(table, device_table.get(), kBytes, cudaMemcpyDeviceToHost));
}

}  // namespace kmlut::cuda
