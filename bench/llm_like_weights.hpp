// The benchmarks' input: LLM-like weights, Student-t with 4 degrees of freedom scaled by 0.02,
// from a fixed seed.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "kmlut/numeric/fp16.hpp"

namespace kmlut::bench {

inline std::vector<float> llm_like_fp32(std::size_t count, unsigned seed) {
  std::mt19937_64 generator(seed);
  std::student_t_distribution<float> t(4.0f);
  std::vector<float> values(count);
  for (auto& value : values)
    value = t(generator) * 0.02f;
  return values;
}

// The same draws, rounded to fp16 bit patterns.
inline std::vector<std::uint16_t> llm_like_fp16(std::size_t count, unsigned seed) {
  const std::vector<float> values = llm_like_fp32(count, seed);
  std::vector<std::uint16_t> halves(count);
  for (std::size_t i = 0; i < count; ++i)
    halves[i] = numeric::float_to_half_bits(values[i]);
  return halves;
}

}  // namespace kmlut::bench
