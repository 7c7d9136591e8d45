// Conversions between the float formats weights come in (F64, F32, F16, BF16) and the rounding
// torch and numpy apply when a value is stored in a narrower format (to nearest, ties to even).
// Shared by host and device code.
#pragma once

#include <cstdint>

#include "kmlut/numeric/fp16.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

KMLUT_HD inline float bf16_bits_to_float(std::uint16_t bits) {
  return float_from_bits(std::uint32_t{bits} << 16);
}

KMLUT_HD inline std::uint16_t float_to_bf16_bits(float value) {
  const std::uint32_t bits = float_bits(value);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {  // nan: keep it a (quiet) nan
    return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
  }
  return static_cast<std::uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

// double -> float rounding toward zero with the inexact bit folded into the last place ("round to
// odd"). A format with at least two fewer significand bits then rounds it exactly as it would the
// double, so double -> half goes through it without double rounding (numpy's astype(float16)).
KMLUT_HD inline float double_to_float_round_to_odd(double value) {
  float narrowed = static_cast<float>(value);
  if (static_cast<double>(narrowed) == value || value != value)
    return narrowed;
  std::uint32_t bits = float_bits(narrowed);
  const bool away_from_zero = (value < 0) ? (static_cast<double>(narrowed) < value)
                                          : (static_cast<double>(narrowed) > value);
  if (away_from_zero)
    --bits;  // the truncated neighbour (toward zero)
  return float_from_bits(bits | 1u);
}

KMLUT_HD inline std::uint16_t double_to_half_bits(double value) {
  return float_to_half_bits(double_to_float_round_to_odd(value));
}

}  // namespace kmlut::numeric
