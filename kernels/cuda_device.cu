// Device discovery: whether there is a device, and whether this build's kernels run on it.
#include <cstdio>

#include "kernels/cuda_api.hpp"
#include "kernels/cuda_check.cuh"

namespace kmlut::cuda {
namespace {

// A kernel of this build, to ask the runtime whether it has code for the device.
__global__ void probe_kernel() {}

std::string describe_status(const char* call, cudaError_t status) {
  return std::string(call) + " failed: " + cudaGetErrorName(status) + ": " +
         cudaGetErrorString(status);
}

}  // namespace

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

std::string device_unusable_reason(int device) noexcept {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return "no usable CUDA driver or device (" + describe_status("cudaGetDeviceCount", status) +
           ")";
  }
  if (count == 0)
    return "no CUDA device";
  if (device < 0 || device >= count)
    return "no CUDA device " + std::to_string(device) + " (" + std::to_string(count) + " here)";
  status = cudaSetDevice(device);
  if (status != cudaSuccess)
    return describe_status(("cudaSetDevice(" + std::to_string(device) + ")").c_str(), status);
  cudaFuncAttributes attributes{};
  status = cudaFuncGetAttributes(&attributes, probe_kernel);
  if (status != cudaSuccess) {
    cudaGetLastError();
    cudaDeviceProp properties{};
    cudaGetDeviceProperties(&properties, device);
    return "device " + std::to_string(device) + " (" + std::string(properties.name) +
           ", compute capability " + std::to_string(properties.major) + "." +
           std::to_string(properties.minor) +
           ") cannot run this build's kernels (built for CMAKE_CUDA_ARCHITECTURES; " +
           describe_status("cudaFuncGetAttributes", status) + ")";
  }
  return {};
}

std::string device_description(int device) {
  cudaDeviceProp properties{};
  KMLUT_CUDA_CHECK(cudaGetDeviceProperties(&properties, device));
  char memory[32];
  std::snprintf(memory, sizeof memory, "%.1f GiB",
                static_cast<double>(properties.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return std::string(properties.name) + ", compute capability " + std::to_string(properties.major) +
         "." + std::to_string(properties.minor) + ", " + memory;
}

}  // namespace kmlut::cuda
