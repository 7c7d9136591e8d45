// Launches the fast-mode rounding table (kernels/bodies/rounding_table_body.hpp) and copies it
// back for compute_rounding_table.
#include <cstdint>
#include <memory>

#include "kernels/bodies/rounding_table_body.hpp"
#include "kernels/cuda_api.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/scalar_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kRoundingTableThreads)
    rounding_table_kernel(float scale, float* table) {
  rounding_table_body(DeviceThread{}, scale, table);
}

struct DeviceFree {
  void operator()(float* pointer) const { cudaFree(pointer); }
};

}  // namespace

void launch_rounding_table(int precision, float* table, cudaStream_t stream) {
  rounding_table_kernel<<<numeric::kHalfPatterns / kRoundingTableThreads, kRoundingTableThreads, 0,
                          stream>>>(numeric::decimal_scale(precision), table);
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
