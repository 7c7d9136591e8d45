// Host-callable entry points of the CUDA backend (plain C++: no CUDA types cross this header).
#pragma once

#include <string>

namespace kmlut::cuda {

// The number of usable CUDA devices; 0 when there is no driver or no device (never throws).
int device_count() noexcept;

// Why device 0 cannot run this build's kernels (no driver, no device, a compute capability the
// build has no code for), or empty when it can. Makes device 0 current. Never throws.
std::string device_unusable_reason() noexcept;

// "NVIDIA H100 80GB HBM3, compute capability 9.0, 79.1 GiB" for device 0. Throws kmlut::Error.
std::string device_description();

// Fills table[65536] on the device with the fast-mode rounded value of every fp16 bit pattern
// (kmlut/numeric/rounding.hpp, the same function the CPU uses). Throws kmlut::Error.
void compute_rounding_table(int precision, float* table);

}  // namespace kmlut::cuda
