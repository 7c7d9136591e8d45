// LUT quantization (lut_qspec; DESIGN §3.4 step 7, research §3.7): the entries of one LUT become
// int8 or uint8 codes with one float32 scale and one zero point per LUT, and are read back as
// (q − zero_point) · scale in float32. Shared by the backends; `kmlut decode` dequantizes with the
// same formula.
//
//   symmetric:  scale = max|x| / 127.5; zero point 0 (int8) or 128 (uint8)
//   asymmetric: scale = (max(x, 0) − min(x, 0)) / 255; zero point = q_min − round(min(x, 0) /
//   scale) q = clamp(round_half_even(x / scale) + zero_point, q_min, q_max)
//
// A LUT whose range is 0 gets scale 1. Every code lies within scale / 2 of its entry, except that
// symmetric quantization clamps +max|x| (127.5 steps) to 127 steps: also within scale / 2.
#pragma once

#include <cmath>
#include <cstddef>

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

struct LutQuantization {
  float scale = 1.0f;
  int zero_point = 0;
  int q_min = -128;
  int q_max = 127;
};

KMLUT_HD inline LutQuantization lut_quantization(const float* entries, std::size_t count,
                                                 bool is_signed, bool symmetric) {
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
    q.scale = max_abs > 0.0f ? max_abs / 127.5f : 1.0f;
    q.zero_point = is_signed ? 0 : 128;
    return q;
  }
  const float range = high - low;
  q.scale = range > 0.0f ? range / 255.0f : 1.0f;
  const int zero_point = q.q_min - static_cast<int>(rintf(low / q.scale));
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

// The value a code stands for, in float32 (q − zero_point is exact in float32).
KMLUT_HD inline float dequantize_lut_entry(int code, const LutQuantization& q) {
  return static_cast<float>(code - q.zero_point) * q.scale;
}

}  // namespace kmlut::numeric
