// Sort keys of floating-point values, for the all-values path (docs/architecture.md §5.5 step 4):
// unsigned integers that order as the values compare. The sign bit of a positive is set and every
// bit of a negative flipped; -0 takes +0's key, so the two zeros are one value and a stable sort
// keeps them in element order, as std::stable_sort keeps equal values. The CPU backend radix sorts
// float32 keys, the CUDA backend sorts float32 and float64 keys (non-finite values never get here).
#pragma once

#include <cstdint>
#include <cstring>

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

KMLUT_HD inline std::uint32_t float_sort_key(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if (bits == 0x80000000u)
    bits = 0;  // -0 sorts as +0
  return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

// The value of a key (+0 for either zero).
KMLUT_HD inline float float_of_sort_key(std::uint32_t key) {
  const std::uint32_t bits = (key & 0x80000000u) ? (key & 0x7FFFFFFFu) : ~key;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

KMLUT_HD inline std::uint64_t double_sort_key(double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  if (bits == kSign)
    bits = 0;  // -0 sorts as +0
  return (bits & kSign) ? ~bits : (bits | kSign);
}

KMLUT_HD inline double double_of_sort_key(std::uint64_t key) {
  constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  const std::uint64_t bits = (key & kSign) ? (key & ~kSign) : ~key;
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

}  // namespace kmlut::numeric
