// LSB-first index packing against a bit-by-bit reference and against numpy's packbits formula that
// coremltools uses (pack_elements_into_bits).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "kmlut/numeric/bit_packing.hpp"
#include "support/oracle.hpp"

namespace {

using kmlut::numeric::pack_index;
using kmlut::numeric::packed_size;
using kmlut::numeric::unpack_index;

// Bit j of element i is bit (i*n + j) of the stream, counted from the least significant bit of
// byte 0.
std::vector<std::uint8_t> pack_bit_by_bit(const std::vector<std::uint32_t>& indices, int n_bits) {
  std::vector<std::uint8_t> stream((indices.size() * n_bits + 7) / 8, 0);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    for (int j = 0; j < n_bits; ++j) {
      if ((indices[i] >> j) & 1u) {
        const std::size_t bit = i * n_bits + j;
        stream[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
      }
    }
  }
  return stream;
}

std::vector<std::uint32_t> random_indices(std::size_t count, int n_bits, unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_int_distribution<std::uint32_t> index(0, (1u << n_bits) - 1);
  std::vector<std::uint32_t> indices(count);
  for (auto& value : indices)
    value = index(generator);
  return indices;
}

std::vector<std::uint8_t> pack(const std::vector<std::uint32_t>& indices, int n_bits) {
  std::vector<std::uint8_t> stream(packed_size(indices.size(), n_bits), 0);
  for (std::size_t i = 0; i < indices.size(); ++i)
    pack_index(stream.data(), i, n_bits, indices[i]);
  return stream;
}

TEST(BitPacking, MatchesTheBitStreamDefinitionForEveryWidth) {
  for (int n_bits = 1; n_bits <= 8; ++n_bits) {
    for (std::size_t count : {1u, 2u, 3u, 7u, 8u, 9u, 1000u, 1001u}) {
      const auto indices = random_indices(count, n_bits, 7 * n_bits + static_cast<unsigned>(count));
      EXPECT_EQ(pack(indices, n_bits), pack_bit_by_bit(indices, n_bits))
          << n_bits << " bits, " << count << " indices";
    }
  }
}

TEST(BitPacking, UnpackInvertsPack) {
  for (int n_bits : {1, 2, 3, 4, 6, 8}) {
    const auto indices = random_indices(4097, n_bits, 99u + n_bits);
    const auto stream = pack(indices, n_bits);
    for (std::size_t i = 0; i < indices.size(); ++i) {
      ASSERT_EQ(unpack_index(stream.data(), i, n_bits), indices[i]) << n_bits << " bits, at " << i;
    }
  }
}

TEST(BitPacking, FourBitsPutTheEvenElementInTheLowNibble) {
  EXPECT_EQ(pack({0x3, 0xA}, 4), (std::vector<std::uint8_t>{0xA3}));
  EXPECT_EQ(pack({1, 0, 1, 1, 0, 0, 0, 1, 1}, 1), (std::vector<std::uint8_t>{0x8D, 0x01}));
}

// numpy: np.packbits(np.unpackbits(x[:, None], axis=1, bitorder="little")[:, :n].ravel(),
// bitorder="little")
std::vector<std::uint8_t> numpy_pack(const std::vector<std::uint32_t>& indices, int n_bits) {
  std::string list;
  for (std::uint32_t index : indices)
    list += std::to_string(index) + ",";
  const std::string command =
      std::string(KMLUT_PYTHON) + " -c \"import sys, numpy as np; x = np.array([" + list +
      "], dtype=np.uint8); n = " + std::to_string(n_bits) +
      "; sys.stdout.buffer.write(np.packbits(np.unpackbits(x[:, None], axis=1, bitorder='little')"
      "[:, :n].ravel(), bitorder='little').tobytes())\" 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr)
    return {};
  std::vector<std::uint8_t> bytes(packed_size(indices.size(), n_bits));
  const std::size_t read = std::fread(bytes.data(), 1, bytes.size(), pipe);
  if (pclose(pipe) != 0 || read != bytes.size())
    return {};
  return bytes;
}

TEST(BitPacking, MatchesCoremltoolsPackingFormula) {
  for (int n_bits : {1, 2, 3, 4, 6, 8}) {
    const auto indices = random_indices(203, n_bits, 5u + n_bits);
    const auto expected = numpy_pack(indices, n_bits);
    if (expected.empty())
      KMLUT_ORACLE_UNAVAILABLE("numpy is not available to " KMLUT_PYTHON);
    EXPECT_EQ(pack(indices, n_bits), expected) << n_bits << " bits";
  }
}

}  // namespace
