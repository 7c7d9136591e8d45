// The scalar palettization kernels built for the avx2 target (its compile flags:
// host/CMakeLists.txt).
#define KMLUT_SIMD_LANES 8
#include "host/backends/cpu/simd/scalar_kernels.inl"

namespace kmlut::cpu {

const ScalarKernels& scalar_kernels_avx2() {
  return kKernels;
}

}  // namespace kmlut::cpu
