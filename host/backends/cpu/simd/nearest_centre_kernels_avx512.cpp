// The nearest-centre kernels built for the avx512 target (its compile flags: host/CMakeLists.txt).
#define KMLUT_SIMD_LANES 16
#include "host/backends/cpu/simd/nearest_centre_kernels.inl"

namespace kmlut::cpu {

const NearestCentreKernels& nearest_centre_kernels_avx512() {
  return kKernels;
}

}  // namespace kmlut::cpu
