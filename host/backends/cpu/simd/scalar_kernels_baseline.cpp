// The scalar palettization kernels built for the baseline target (its compile flags:
// host/CMakeLists.txt).
#define KMLUT_SIMD_LANES 4
#include "host/backends/cpu/simd/scalar_kernels.inl"

namespace kmlut::cpu {

const ScalarKernels& scalar_kernels_baseline() {
  return kKernels;
}

}  // namespace kmlut::cpu
