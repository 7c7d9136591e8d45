// The fast-mode histogram's bins: 65,536 keys, one per 16-bit float pattern (fp16, or bf16 for a
// bf16 weight), numbered in value order, and the value clustered for each (docs/architecture.md
// §5.5 step 4). Walking the keys upward visits the values in ascending order, because the fp16 cast
// and the fast-mode rounding never reorder values. The CPU's FastModeHistogram numbers its bins the
// same way; the unit tests check that.
#pragma once

#include <cstdint>

#include "kmlut/numeric/float_formats.hpp"
#include "kmlut/numeric/fp16.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

constexpr std::uint32_t kPatternKeys = 1u << 16;

// Flips all bits of a negative pattern and the sign bit of a positive one, the usual trick that
// makes sign-magnitude float patterns sort like their values.
KMLUT_HD inline std::uint32_t pattern_key(std::uint16_t pattern) {
  return (pattern & 0x8000u) ? (~pattern & 0xFFFFu) : (pattern | 0x8000u);
}

KMLUT_HD inline std::uint16_t key_pattern(std::uint32_t key) {
  return static_cast<std::uint16_t>((key & 0x8000u) ? (key & 0x7FFFu) : (~key & 0xFFFFu));
}

// The value clustered for a pattern: its fp16 value (a bf16 pattern cast to fp16 first, ties to
// even), rounded through `rounding_table` in fast mode, as is without it (nullptr).
KMLUT_HD inline double clustered_value(std::uint16_t pattern, bool bf16_pattern,
                                       const float* rounding_table) {
  const std::uint16_t half =
      bf16_pattern ? float_to_half_bits(bf16_bits_to_float(pattern)) : pattern;
  return rounding_table != nullptr ? rounding_table[half] : half_bits_to_float(half);
}

}  // namespace kmlut::numeric
