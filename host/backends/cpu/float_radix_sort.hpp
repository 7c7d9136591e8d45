// Radix sort keys for float32 values, for the all-values path's points (radix_sort.hpp: three
// counting passes instead of a comparison sort); the keys themselves are
// kmlut/numeric/float_sort_keys.hpp's, which the CUDA backend sorts too. Items are keys alone or
// keys with a payload (a sensitivity).
#pragma once

#include <cstdint>

#include "host/backends/cpu/radix_sort.hpp"
#include "kmlut/numeric/float_sort_keys.hpp"

namespace kmlut::cpu {

using numeric::float_of_sort_key;
using numeric::float_sort_key;

struct KeyedWeight {
  std::uint32_t key;
  float weight;
};

inline std::uint32_t sort_key_of(const KeyedWeight& item) {
  return item.key;
}

}  // namespace kmlut::cpu
