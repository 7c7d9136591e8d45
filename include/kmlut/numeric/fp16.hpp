// IEEE binary16 <-> binary32 conversion on bit patterns, shared by host and device code.
// float -> half rounds to nearest, ties to even, like numpy's astype(float16) and torch's .half().
#pragma once

#include <cstdint>
#include <cstring>

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

KMLUT_HD inline std::uint32_t float_bits(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

KMLUT_HD inline float float_from_bits(std::uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

KMLUT_HD inline float half_bits_to_float(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1Fu;
  std::uint32_t mantissa = half & 0x3FFu;
  if (exponent == 0x1F) {  // inf / nan: keep the payload
    return float_from_bits(sign | 0x7F800000u | (mantissa << 13));
  }
  if (exponent != 0) {  // normal
    return float_from_bits(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  }
  if (mantissa == 0)
    return float_from_bits(sign);  // signed zero
  // Subnormal half: value = mantissa * 2^-24, exactly representable as a normal float.
  int shift = 0;
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    ++shift;
  }
  mantissa &= 0x3FFu;
  return float_from_bits(sign | ((113u - shift) << 23) | (mantissa << 13));
}

KMLUT_HD inline std::uint16_t float_to_half_bits(float value) {
  const std::uint32_t bits = float_bits(value);
  const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t abs_bits = bits & 0x7FFFFFFFu;
  if (abs_bits > 0x7F800000u) {  // nan: quiet, keep the top payload bits
    return static_cast<std::uint16_t>(sign | 0x7E00u | ((abs_bits >> 13) & 0x3FFu));
  }
  if (abs_bits >= 0x477FF000u) {  // rounds to a value >= 65520: overflow to inf
    return static_cast<std::uint16_t>(sign | 0x7C00u);
  }
  if (abs_bits >= 0x38800000u) {  // normal half range (>= 2^-14)
    const std::uint32_t lsb = (abs_bits >> 13) & 1u;
    const std::uint32_t rounded = abs_bits + 0xFFFu + lsb;  // ties to even
    return static_cast<std::uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
  }
  if (abs_bits < 0x33000000u) {  // below half the smallest subnormal (2^-25): zero
    return sign;
  }
  // Subnormal half: shift the full 24-bit significand into place with ties-to-even rounding.
  const std::uint32_t exponent = abs_bits >> 23;
  const std::uint32_t significand = (abs_bits & 0x7FFFFFu) | 0x800000u;
  const std::uint32_t shift = 126u - exponent;  // 14..24 for exponents 102..112
  const std::uint32_t half_ulp = 1u << (shift - 1);
  const std::uint32_t remainder = significand & ((1u << shift) - 1u);
  std::uint32_t result = significand >> shift;
  if (remainder > half_ulp || (remainder == half_ulp && (result & 1u)))
    ++result;
  return static_cast<std::uint16_t>(sign | result);
}

}  // namespace kmlut::numeric
