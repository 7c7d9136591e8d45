// Host-callable entry points of the CUDA backend (plain C++: no CUDA types cross this header).
#pragma once

namespace kmlut::cuda {

// The number of usable CUDA devices; 0 when there is no driver or no device (never throws).
int device_count() noexcept;

// Fills table[65536] on the device with the fast-mode rounded value of every fp16 bit pattern
// (kmlut/numeric/rounding.hpp, the same function the CPU uses). Throws kmlut::Error.
void compute_rounding_table(int precision, float* table);

}  // namespace kmlut::cuda
