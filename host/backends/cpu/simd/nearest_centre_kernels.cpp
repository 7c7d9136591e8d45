#include "host/backends/cpu/simd/nearest_centre_kernels.hpp"

#include "host/backends/cpu/simd/simd_target.hpp"

namespace kmlut::cpu {

const NearestCentreKernels& nearest_centre_kernels(SimdTarget target) {
  switch (target) {
    case SimdTarget::kAvx2:
      return nearest_centre_kernels_avx2();
    case SimdTarget::kAvx512:
      return nearest_centre_kernels_avx512();
    case SimdTarget::kBaseline:
      break;
  }
  return nearest_centre_kernels_baseline();
}

}  // namespace kmlut::cpu
