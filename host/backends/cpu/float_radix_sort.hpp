// Radix sort keys for float32 values, for the all-values path's points (radix_sort.hpp: three
// counting passes instead of a comparison sort). Keys order floats as their values compare: the
// sign bit of a positive is set, every bit of a negative flipped, and -0 takes +0's key, so the two
// zeros are one value and keep their element order, as std::stable_sort keeps equal values. Items
// are keys alone or keys with a payload (a sensitivity).
#pragma once

#include <cstdint>
#include <cstring>

#include "host/backends/cpu/radix_sort.hpp"

namespace kmlut::cpu {

inline std::uint32_t float_sort_key(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if (bits == 0x80000000u)
    bits = 0;  // -0 sorts as +0
  return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

// The value of a key (+0 for either zero).
inline float float_of_sort_key(std::uint32_t key) {
  const std::uint32_t bits = (key & 0x80000000u) ? (key & 0x7FFFFFFFu) : ~key;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

struct KeyedWeight {
  std::uint32_t key;
  float weight;
};

inline std::uint32_t sort_key_of(const KeyedWeight& item) {
  return item.key;
}

}  // namespace kmlut::cpu
