// The four float formats a weight may have, as traits that the CPU backend and the CUDA kernels
// share: how an element is read and stored, the arithmetic torch performs in the format for the
// per-channel scale (float math for the 16-bit formats, rounded once), and which 16-bit pattern
// the fast-mode histogram counts for it.
//
// from_double stores a centroid the way torch's Tensor.to() does: a float64 value bound for a
// 16-bit format is rounded to float32 first, then to the format (c10::Half and c10::BFloat16 are
// built from a float). Rounding straight to fp16 differs in about one centroid in 10^4 (e.g.
// −0.13604736869985407: 0xB05B straight, 0xB05A through float32); see
// docs/lut-quantization-and-sensitivities.md, "Rounding as coreai_opt rounds".
#pragma once

#include <cstdint>
#include <cstring>

#include "kmlut/dtype.hpp"
#include "kmlut/numeric/float_formats.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

// The largest finite fp16 value: fast mode clusters unique values only when every value fits.
constexpr double kHalfMax = 65504.0;

template <DType D>
struct FloatFormat;

template <>
struct FloatFormat<DType::F64> {
  using Storage = double;
  static constexpr bool kBf16Patterns = false;
  KMLUT_HD static bool is_finite(Storage v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return (bits & 0x7FF0000000000000u) != 0x7FF0000000000000u;
  }
  KMLUT_HD static double to_double(Storage v) { return v; }
  KMLUT_HD static Storage from_double(double v) { return v; }
  KMLUT_HD static Storage divide(Storage a, Storage b) { return a / b; }
  KMLUT_HD static Storage multiply(Storage a, Storage b) { return a * b; }
  // One rounding straight to fp16, as numpy's astype(float16).
  KMLUT_HD static std::uint16_t histogram_pattern(Storage v) { return double_to_half_bits(v); }
  KMLUT_HD static bool in_half_range(Storage v) { return (v < 0 ? -v : v) <= kHalfMax; }
};

template <>
struct FloatFormat<DType::F32> {
  using Storage = float;
  static constexpr bool kBf16Patterns = false;
  KMLUT_HD static bool is_finite(Storage v) { return (float_bits(v) & 0x7F800000u) != 0x7F800000u; }
  KMLUT_HD static double to_double(Storage v) { return v; }
  KMLUT_HD static Storage from_double(double v) { return static_cast<float>(v); }
  KMLUT_HD static Storage divide(Storage a, Storage b) { return a / b; }
  KMLUT_HD static Storage multiply(Storage a, Storage b) { return a * b; }
  KMLUT_HD static std::uint16_t histogram_pattern(Storage v) { return float_to_half_bits(v); }
  KMLUT_HD static bool in_half_range(Storage v) { return (v < 0 ? -v : v) <= kHalfMax; }
};

template <>
struct FloatFormat<DType::F16> {
  using Storage = std::uint16_t;
  static constexpr bool kBf16Patterns = false;
  KMLUT_HD static bool is_finite(Storage v) { return (v & 0x7C00u) != 0x7C00u; }
  KMLUT_HD static double to_double(Storage v) { return half_bits_to_float(v); }
  KMLUT_HD static Storage from_double(double v) {
    return float_to_half_bits(static_cast<float>(v));
  }
  KMLUT_HD static Storage divide(Storage a, Storage b) {
    return float_to_half_bits(half_bits_to_float(a) / half_bits_to_float(b));
  }
  KMLUT_HD static Storage multiply(Storage a, Storage b) {
    return float_to_half_bits(half_bits_to_float(a) * half_bits_to_float(b));
  }
  KMLUT_HD static std::uint16_t histogram_pattern(Storage v) { return v; }
  KMLUT_HD static bool in_half_range(Storage) { return true; }
};

template <>
struct FloatFormat<DType::BF16> {
  using Storage = std::uint16_t;
  static constexpr bool kBf16Patterns = true;  // the histogram counts bf16 patterns
  KMLUT_HD static bool is_finite(Storage v) { return (v & 0x7F80u) != 0x7F80u; }
  KMLUT_HD static double to_double(Storage v) { return bf16_bits_to_float(v); }
  KMLUT_HD static Storage from_double(double v) {
    return float_to_bf16_bits(static_cast<float>(v));
  }
  KMLUT_HD static Storage divide(Storage a, Storage b) {
    return float_to_bf16_bits(bf16_bits_to_float(a) / bf16_bits_to_float(b));
  }
  KMLUT_HD static Storage multiply(Storage a, Storage b) {
    return float_to_bf16_bits(bf16_bits_to_float(a) * bf16_bits_to_float(b));
  }
  KMLUT_HD static std::uint16_t histogram_pattern(Storage v) { return v; }
  // 0x477F = 65280, the largest bf16 below 65504.
  KMLUT_HD static bool in_half_range(Storage v) { return (v & 0x7FFFu) <= 0x477Fu; }
};

}  // namespace kmlut::numeric
