// The fast-mode rounding of coreai_opt: a value is cast to fp16 (ties to even), then rounded to
// `precision` decimals as np.round(x * 10^p) / 10^p computed in float32 (np.round = ties to even).
#pragma once

#include <cmath>
#include <cstdint>

#include "kmlut/numeric/fp16.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

// 10^precision as the float32 the numpy expression multiplies by.
KMLUT_HD inline float decimal_scale(int precision) {
  double scale = 1.0;
  for (int i = 0; i < precision; ++i)
    scale *= 10.0;
  return static_cast<float>(scale);
}

// The rounded value of one fp16 bit pattern. rintf rounds half to even in the default mode.
KMLUT_HD inline float rounded_half_value(std::uint16_t half, float scale) {
  return rintf(half_bits_to_float(half) * scale) / scale;
}

// The 65,536-entry table bit pattern -> rounded value, computed once per rounding precision.
inline constexpr std::uint32_t kHalfPatterns = 1u << 16;

inline void fill_rounding_table(int precision, float* table) {
  const float scale = decimal_scale(precision);
  for (std::uint32_t bits = 0; bits < kHalfPatterns; ++bits) {
    table[bits] = rounded_half_value(static_cast<std::uint16_t>(bits), scale);
  }
}

}  // namespace kmlut::numeric
