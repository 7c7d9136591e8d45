// Deterministic LLM-like weights for `kmlut bench`: heavy-tailed values (Student-t with 4 degrees
// of freedom, the usual stand-in for trained linear-layer weights) scaled to a standard deviation
// of 0.02.
//
// The generator is our own (a splitmix64 counter hash, Box-Muller, a chi-square from two
// exponentials) rather than std::*_distribution, whose output differs between standard libraries:
// value i of a tensor depends only on (seed, stream, i), so the bytes do not depend on the thread
// count or on how the tensor is cut into chunks. Across machines they are equal as long as libm's
// log/sin/cos are; bench/peers reads the exact bytes through --save-data anyway.
#pragma once

#include <cstdint>
#include <vector>

#include "kmlut/dtype.hpp"

namespace kmlut::bench {

// The standard deviation of the generated values.
inline constexpr double kSyntheticWeightStd = 0.02;

// Values [first, first + count) of stream `stream` under `seed`, as doubles.
void llm_like_values(std::uint64_t seed, std::uint64_t stream, std::uint64_t first,
                     std::uint64_t count, double* out);

// A whole tensor of `numel` values in `dtype` (F16, BF16, F32 or F64; rounded to nearest even),
// little-endian bytes, generated on `threads` threads (0 = all cores).
std::vector<std::uint8_t> llm_like_tensor(DType dtype, std::uint64_t numel, std::uint64_t seed,
                                          std::uint64_t stream, unsigned threads);

}  // namespace kmlut::bench
