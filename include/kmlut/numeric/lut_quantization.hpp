// LUT quantization (lut_qspec; docs/lut-quantization-and-sensitivities.md): the entries of one LUT
// become int8 or uint8 codes with one scale and one zero point per LUT, with coreai_opt 0.3.0's
// arithmetic (torchao's choose_qparams_affine_with_min_max on the LUT in the weight's dtype D, then
// its fake quantizer in float32):
//
//   low = min(x, 0), high = max(x, 0)                                       (exact in D)
//   symmetric:  scale = D(max(−low, high) / 127.5); zero point 0 (int8) or 128 (uint8)
//   asymmetric: scale = D(D(high − low) / 255);
//               zero point = clamp(q_min − round_half_even(D(low / scale)), q_min, q_max)
//   scale = max(scale, 2^−23)              (float32 epsilon: a LUT of zeros keeps a usable scale)
//   code  = clamp(round_half_even(x / scale) + zero point, q_min, q_max)       in float32
//   value = D((code − zero point) · scale)                                      in float32
//
// D(·) rounds a float32 result into D, as torch's 16-bit arithmetic does (float math, one rounding
// to the format); for F32 it is the identity. The scale is therefore a value of D, and is stored
// in D: Core ML's constexpr_blockwise_shift_scale takes its scale in the output's dtype.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

struct LutQuantization {
  float scale = 1.0f;  // a value of the weight's dtype
  int zero_point = 0;
  int q_min = -128;
  int q_max = 127;
};

// float32's epsilon, torchao's lower bound on a scale.
constexpr float kLutScaleFloor = 1.1920928955078125e-7f;

// `to_dtype(float) -> float` rounds a float32 result into the weight's dtype.
template <class RoundToDType>
KMLUT_HD LutQuantization lut_quantization(const float* entries, std::size_t count, bool is_signed,
                                          bool symmetric, RoundToDType to_dtype) {
  LutQuantization q;
  q.q_min = is_signed ? -128 : 0;
  q.q_max = is_signed ? 127 : 255;
  float low = 0.0f;
  float high = 0.0f;
  for (std::size_t i = 0; i < count; ++i) {
    low = entries[i] < low ? entries[i] : low;
    high = entries[i] > high ? entries[i] : high;
  }
  if (symmetric) {
    const float max_abs = -low > high ? -low : high;
    const float scale = to_dtype(max_abs / 127.5f);
    q.scale = scale > kLutScaleFloor ? scale : kLutScaleFloor;
    q.zero_point = (q.q_min + q.q_max + 1) / 2;  // 0 for int8, 128 for uint8
    return q;
  }
  const float scale = to_dtype(to_dtype(high - low) / 255.0f);
  q.scale = scale > kLutScaleFloor ? scale : kLutScaleFloor;
  const int zero_point = q.q_min - static_cast<int>(rintf(to_dtype(low / q.scale)));
  q.zero_point = zero_point < q.q_min ? q.q_min : (zero_point > q.q_max ? q.q_max : zero_point);
  return q;
}

KMLUT_HD inline int quantize_lut_entry(float entry, const LutQuantization& q) {
  const float code = rintf(entry / q.scale) + static_cast<float>(q.zero_point);
  if (code < static_cast<float>(q.q_min))
    return q.q_min;
  if (code > static_cast<float>(q.q_max))
    return q.q_max;
  return static_cast<int>(code);
}

// The value a code stands for, in float32, before the rounding into the weight's dtype (code −
// zero point is an integer of at most 9 bits and the scale a value of D: the product is exact in
// float32 for the 16-bit formats, so that rounding is the only one).
KMLUT_HD inline float dequantize_lut_entry(int code, const LutQuantization& q) {
  return static_cast<float>(code - q.zero_point) * q.scale;
}

// Quantizes one LUT of `count` entries stored in the weight's dtype (`Format`, a FloatFormat of
// kmlut/numeric/float_format.hpp): writes each entry's code (int8 as two's complement) and puts
// the dequantized entry, rounded into the dtype as `kmlut decode` rounds it, back in place for the
// error measurement. `scratch` holds `count` floats. Both backends run this, so their codes, scales
// and zero points are the same bits.
template <class Format>
KMLUT_HD LutQuantization quantize_lut(typename Format::Storage* lut, std::size_t count,
                                      bool is_signed, bool symmetric, float* scratch,
                                      std::uint8_t* codes) {
  using Storage = typename Format::Storage;
  for (std::size_t e = 0; e < count; ++e)
    scratch[e] = static_cast<float>(Format::to_double(lut[e]));
  const LutQuantization q = lut_quantization(scratch, count, is_signed, symmetric, [](float v) {
    return static_cast<float>(Format::to_double(Format::from_double(v)));
  });
  for (std::size_t e = 0; e < count; ++e) {
    const int code = quantize_lut_entry(scratch[e], q);
    codes[e] = static_cast<std::uint8_t>(code);
    if constexpr (std::is_same<Storage, double>::value) {
      lut[e] = static_cast<double>(code - q.zero_point) * static_cast<double>(q.scale);
    } else {
      lut[e] = Format::from_double(dequantize_lut_entry(code, q));
    }
  }
  return q;
}

}  // namespace kmlut::numeric
