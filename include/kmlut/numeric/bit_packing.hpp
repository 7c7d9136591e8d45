// LSB-first bit packing of n-bit indices, the Core ML layout (coremltools pack_elements_into_bits):
// element i occupies bits [i*n, (i+1)*n) of a little-endian bit stream, so an index may straddle
// two bytes (n = 3, 6). Shared by the CPU backend and the CUDA kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

// Bytes that hold `count` indices of `n_bits` each.
KMLUT_HD inline std::size_t packed_size(std::size_t count, int n_bits) {
  return (count * static_cast<std::size_t>(n_bits) + 7) / 8;
}

// ORs `index` into the stream at element position `position`. The stream must start zeroed.
KMLUT_HD inline void pack_index(std::uint8_t* stream, std::size_t position, int n_bits,
                                std::uint32_t index) {
  const std::size_t bit = position * static_cast<std::size_t>(n_bits);
  const std::size_t byte = bit / 8;
  const unsigned shift = static_cast<unsigned>(bit % 8);
  const std::uint32_t field = index << shift;  // at most 8 + 7 bits: spans at most two bytes
  stream[byte] = static_cast<std::uint8_t>(stream[byte] | (field & 0xFFu));
  if (shift + static_cast<unsigned>(n_bits) > 8) {
    stream[byte + 1] = static_cast<std::uint8_t>(stream[byte + 1] | (field >> 8));
  }
}

KMLUT_HD inline std::uint32_t unpack_index(const std::uint8_t* stream, std::size_t position,
                                           int n_bits) {
  const std::size_t bit = position * static_cast<std::size_t>(n_bits);
  const std::size_t byte = bit / 8;
  const unsigned shift = static_cast<unsigned>(bit % 8);
  std::uint32_t window = stream[byte];
  if (shift + static_cast<unsigned>(n_bits) > 8)
    window |= std::uint32_t{stream[byte + 1]} << 8;
  return (window >> shift) & ((1u << n_bits) - 1u);
}

}  // namespace kmlut::numeric
