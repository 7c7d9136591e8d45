#include "host/backends/cpu/simd/scalar_kernels.hpp"

#include "host/backends/cpu/simd/simd_target.hpp"

namespace kmlut::cpu {

const ScalarKernels& scalar_kernels(SimdTarget target) {
  switch (target) {
    case SimdTarget::kAvx2:
      return scalar_kernels_avx2();
    case SimdTarget::kAvx512:
      return scalar_kernels_avx512();
    case SimdTarget::kBaseline:
      break;
  }
  return scalar_kernels_baseline();
}

}  // namespace kmlut::cpu
