// Every CUDA runtime call goes through KMLUT_CUDA_CHECK: a failure becomes a kmlut::Error that
// names the call, the file and line, and CUDA's own description.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "kmlut/error.hpp"

namespace kmlut::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* call, const char* file,
                                          int line) {
  throw Error(std::string("CUDA error in ") + call + " at " + file + ":" + std::to_string(line) +
              ": " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
}

}  // namespace kmlut::cuda

#define KMLUT_CUDA_CHECK(call)                                                   \
  do {                                                                           \
    const cudaError_t kmlut_status_ = (call);                                    \
    if (kmlut_status_ != cudaSuccess) {                                          \
      ::kmlut::cuda::throw_cuda_error(kmlut_status_, #call, __FILE__, __LINE__); \
    }                                                                            \
  } while (0)
