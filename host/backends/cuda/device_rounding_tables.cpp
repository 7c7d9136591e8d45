#include "host/backends/cuda/device_rounding_tables.hpp"

#include "kernels/cuda_check.cuh"
#include "kernels/scalar_kernels.hpp"
#include "kmlut/numeric/rounding.hpp"

namespace kmlut::cuda {

const float* DeviceRoundingTables::get(int precision) {
  std::unique_ptr<DeviceBuffer>& table = tables_[precision];
  if (!table) {
    auto fresh = std::make_unique<DeviceBuffer>();
    fresh->reserve(numeric::kHalfPatterns * sizeof(float));
    auto* values = reinterpret_cast<float*>(fresh->data());
    launch_rounding_table(precision, values, nullptr);
    // The batch streams do not synchronise with the default stream: wait here, once.
    KMLUT_CUDA_CHECK(cudaStreamSynchronize(nullptr));
    table = std::move(fresh);
  }
  return reinterpret_cast<const float*>(table->data());
}

}  // namespace kmlut::cuda
