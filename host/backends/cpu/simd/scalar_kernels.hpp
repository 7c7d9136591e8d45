// The per-element passes of scalar palettization (host/backends/cpu/scalar_block_clusterer.cpp),
// compiled once per SimdTarget: the histogram keys of 16-bit float patterns, float32 → fp16
// rounding, and the error of an assignment. Integer results are exact on every target; the error
// sums are split over kErrorLanes double lanes whatever the target's width (lane j adds the
// elements at positions j, j + 8, … of each call), so every target and the fallback add the same
// numbers in the same order and the sums agree to the bit. (Plain structs and declarations only:
// the per-target translation units include this header.)
#pragma once

#include <cstddef>
#include <cstdint>

namespace kmlut::cpu {

enum class SimdTarget;  // simd_target.hpp

// The smallest and largest histogram key of a run of elements (min > max for none).
struct KeyRange {
  std::uint32_t min;
  std::uint32_t max;
};

inline constexpr int kErrorLanes = 8;

// Σ (W − Ŵ)² and Σ W² per lane, in double.
struct ErrorLanes {
  double sse[kErrorLanes];
  double sq_norm[kErrorLanes];
};

struct ScalarKernels {
  // keys[i] = FastModeHistogram::key_of(patterns[i]) (the value order of fp16 or bf16 bits).
  KeyRange (*keys_of_halves)(const std::uint16_t* patterns, std::size_t n, std::uint16_t* keys);
  // The keys of the values' fp16 patterns (numeric::float_to_half_bits, ties to even); returns
  // whether every value lies within fp16's finite range, |x| ≤ 65504, through `in_range`.
  KeyRange (*keys_of_floats)(const float* values, std::size_t n, std::uint16_t* keys,
                             bool* in_range);
  // Adds (values[i] − lut[indices[i]])² and values[i]² to lane i mod kErrorLanes.
  void (*add_errors)(const double* values, const std::uint8_t* indices, const double* lut,
                     std::size_t n, ErrorLanes& lanes);
};

const ScalarKernels& scalar_kernels(SimdTarget target);

// One per target, each in its own translation unit.
const ScalarKernels& scalar_kernels_baseline();
const ScalarKernels& scalar_kernels_avx2();
const ScalarKernels& scalar_kernels_avx512();

}  // namespace kmlut::cpu
