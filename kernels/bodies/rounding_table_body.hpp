// The fp16 bit pattern -> rounded value table of fast mode (kernels/rounding_table.cu launches
// it), one thread per pattern: numeric::rounded_half_value, the function the CPU uses.
#pragma once

#include <cstdint>

#include "kmlut/numeric/host_device.hpp"
#include "kmlut/numeric/rounding.hpp"

namespace kmlut::cuda {

constexpr unsigned kRoundingTableThreads = 256;

// `scale`: numeric::decimal_scale(precision); the grid covers kHalfPatterns threads.
template <class Thread>
KMLUT_HD void rounding_table_body(const Thread& at, float scale, float* table) {
  const std::uint32_t bits = at.block() * at.threads() + at.thread();
  if (bits < numeric::kHalfPatterns)
    table[bits] = numeric::rounded_half_value(static_cast<std::uint16_t>(bits), scale);
}

}  // namespace kmlut::cuda
