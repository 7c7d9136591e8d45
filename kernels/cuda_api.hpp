// Host-callable entry points of the CUDA backend (plain C++: no CUDA types cross this header).
#pragma once

#include <string>

namespace kmlut::cuda {

// The number of usable CUDA devices; 0 when there is no driver or no device (never throws).
int device_count() noexcept;

// Why `device` cannot run this build's kernels (no driver, no such device, a compute capability
// the build has no code for), or empty when it can. Makes `device` current. Never throws.
std::string device_unusable_reason(int device = 0) noexcept;

// "NVIDIA H100 80GB HBM3, compute capability 9.0, 79.1 GiB" for `device`. Throws kmlut::Error.
std::string device_description(int device = 0);

// Fills table[65536] on the device with the fast-mode rounded value of every fp16 bit pattern
// (kmlut/numeric/rounding.hpp, the same function the CPU uses). Throws kmlut::Error.
void compute_rounding_table(int precision, float* table);

}  // namespace kmlut::cuda
