// The nearest-centre kernels built for the baseline target (its compile flags:
// host/CMakeLists.txt).
#define KMLUT_SIMD_LANES 4
#include "host/backends/cpu/simd/nearest_centre_kernels.inl"

namespace kmlut::cpu {

const NearestCentreKernels& nearest_centre_kernels_baseline() {
  return kKernels;
}

}  // namespace kmlut::cpu
