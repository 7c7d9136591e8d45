// The grid position of the calling CUDA thread and its block's barrier, as the kernel bodies
// (kernels/bodies/) see them; the CPU grid executor (tests/support/cpu_grid.hpp) provides the same
// four functions for threads of the host.
#pragma once

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

struct DeviceThread {
  // Host-device so that host-device bodies may call them; only device code ever does.
  KMLUT_HD unsigned block() const {
#if defined(__CUDA_ARCH__)
    return blockIdx.x;
#else
    return 0;
#endif
  }
  KMLUT_HD unsigned thread() const {
#if defined(__CUDA_ARCH__)
    return threadIdx.x;
#else
    return 0;
#endif
  }
  KMLUT_HD unsigned threads() const {
#if defined(__CUDA_ARCH__)
    return blockDim.x;
#else
    return 1;
#endif
  }
  KMLUT_HD void sync() const {
#if defined(__CUDA_ARCH__)
    __syncthreads();
#endif
  }
};

}  // namespace kmlut::cuda
