// A stable LSD radix sort by integer keys, 11 bits per counting pass: the unique path's 16-bit
// pattern keys (two passes) and the all-values path's float32 keys (three, float_radix_sort.hpp).
// A pass whose digit is the same for every key is skipped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace kmlut::cpu {

inline std::uint32_t sort_key_of(std::uint16_t item) {
  return item;
}
inline std::uint32_t sort_key_of(std::uint32_t item) {
  return item;
}

// Sorts `items` by their sort_key_of(), stably, looking at the key's low 11 · kPasses bits;
// `scratch` is a second buffer, grown as needed and kept for reuse.
template <int kPasses, class Item>
void radix_sort_by_key(std::vector<Item>& items, std::vector<Item>& scratch) {
  constexpr int kDigitBits = 11;
  constexpr std::uint32_t kMask = (1u << kDigitBits) - 1;
  const std::size_t n = items.size();
  if (n == 0)
    return;
  scratch.resize(n);
  Item* from = items.data();
  Item* to = scratch.data();
  for (int shift = 0; shift < kPasses * kDigitBits; shift += kDigitBits) {
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
