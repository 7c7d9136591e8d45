// The scalar palettization kernels built for the avx512 target (its compile flags:
// host/CMakeLists.txt).
#define KMLUT_SIMD_LANES 16
#include "host/backends/cpu/simd/scalar_kernels.inl"

namespace kmlut::cpu {

const ScalarKernels& scalar_kernels_avx512() {
  return kKernels;
}

}  // namespace kmlut::cpu
