#include "kernels/cuda_api.hpp"
#include "kernels/cuda_check.cuh"

namespace kmlut::cuda {

int device_count() noexcept {
  // Without a driver cudaGetDeviceCount fails (cudaErrorInsufficientDriver) and leaves the count
  // unwritten, so it starts at 0 and any error means "no device".
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return 0;
  }
  return count;
}

}  // namespace kmlut::cuda
