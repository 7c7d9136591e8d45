// A stable LSD radix sort of float32 values by value, for the all-values path's points: three
// counting passes (11, 11 and 10 bits) instead of a comparison sort. Keys order floats as their
// values compare: the sign bit of a positive is set, every bit of a negative flipped, and -0 takes
// +0's key, so the two zeros are one value and keep their element order, as std::stable_sort
// keeps equal values. Items are keys alone or keys with a payload (a sensitivity).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

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

inline std::uint32_t sort_key_of(std::uint32_t item) {
  return item;
}
inline std::uint32_t sort_key_of(const KeyedWeight& item) {
  return item.key;
}

// Sorts `items` by key, stably; `scratch` is a second buffer, grown as needed and kept for reuse.
template <class Item>
void radix_sort_by_key(std::vector<Item>& items, std::vector<Item>& scratch) {
  constexpr int kShifts[] = {0, 11, 22};
  constexpr std::uint32_t kMask = (1u << 11) - 1;
  const std::size_t n = items.size();
  if (n == 0)
    return;
  scratch.resize(n);
  Item* from = items.data();
  Item* to = scratch.data();
  for (const int shift : kShifts) {
    std::array<std::size_t, kMask + 1> start{};
    for (std::size_t i = 0; i < n; ++i)
      ++start[(sort_key_of(from[i]) >> shift) & kMask];
    if (start[(sort_key_of(from[0]) >> shift) & kMask] == n)
      continue;  // every key has the same digit here: the pass would not move anything
    std::size_t offset = 0;
    for (std::size_t& bucket : start) {
      const std::size_t count = bucket;
      bucket = offset;
      offset += count;
    }
    for (std::size_t i = 0; i < n; ++i)
      to[start[(sort_key_of(from[i]) >> shift) & kMask]++] = from[i];
    std::swap(from, to);
  }
  if (from != items.data())
    items.swap(scratch);
}

}  // namespace kmlut::cpu
