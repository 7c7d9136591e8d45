// fp16 conversion and fast-mode rounding against independent oracles: the compiler's own _Float16
// conversion, an ldexp decoding of the format, and numpy (the library coreai_opt rounds with).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kmlut/numeric/fp16.hpp"
#include "kmlut/numeric/rounding.hpp"
#include "support/oracle.hpp"

namespace {

using kmlut::numeric::float_bits;
using kmlut::numeric::float_to_half_bits;
using kmlut::numeric::half_bits_to_float;

// binary16 decoded from its definition: (-1)^s * 2^(e-15) * 1.m, or 2^-14 * 0.m for subnormals.
double decode_half_by_definition(std::uint16_t bits) {
  const int sign = bits >> 15;
  const int exponent = (bits >> 10) & 0x1F;
  const int mantissa = bits & 0x3FF;
  double magnitude;
  if (exponent == 0x1F) {
    magnitude = mantissa == 0 ? INFINITY : NAN;
  } else if (exponent == 0) {
    magnitude = std::ldexp(mantissa, -24);
  } else {
    magnitude = std::ldexp(1024 + mantissa, exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

TEST(Fp16, EveryHalfDecodesToItsDefinedValue) {
  for (std::uint32_t bits = 0; bits < 65536; ++bits) {
    const double expected = decode_half_by_definition(static_cast<std::uint16_t>(bits));
    const float actual = half_bits_to_float(static_cast<std::uint16_t>(bits));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(actual)) << bits;
    } else {
      ASSERT_EQ(static_cast<double>(actual), expected) << "pattern " << bits;
      ASSERT_EQ(std::signbit(actual), (bits & 0x8000u) != 0) << "pattern " << bits;
    }
  }
}

TEST(Fp16, EveryHalfRoundTripsThroughFloat) {
  for (std::uint32_t bits = 0; bits < 65536; ++bits) {
    const auto half = static_cast<std::uint16_t>(bits);
    if (std::isnan(half_bits_to_float(half)))
      continue;
    ASSERT_EQ(float_to_half_bits(half_bits_to_float(half)), half) << "pattern " << bits;
  }
}

std::uint16_t compiler_half(float value) {
  const _Float16 half = static_cast<_Float16>(value);
  std::uint16_t bits;
  std::memcpy(&bits, &half, sizeof bits);
  return bits;
}

// Ties to even is exercised by the exact midpoints between neighbouring halves.
TEST(Fp16, MidpointsBetweenHalvesRoundToEvenLikeTheCompiler) {
  for (std::uint32_t bits = 0; bits < 0x7C00; ++bits) {
    const double low = decode_half_by_definition(static_cast<std::uint16_t>(bits));
    const double high = decode_half_by_definition(static_cast<std::uint16_t>(bits + 1));
    const float midpoint = static_cast<float>((low + high) / 2);  // exact in float32
    ASSERT_EQ(float_to_half_bits(midpoint), compiler_half(midpoint)) << "pattern " << bits;
    ASSERT_EQ(float_to_half_bits(-midpoint), compiler_half(-midpoint)) << "pattern " << bits;
  }
}

TEST(Fp16, RandomFloatsConvertLikeTheCompiler) {
  std::mt19937 generator(1234);
  std::uniform_int_distribution<std::uint32_t> any_bits;
  for (int i = 0; i < 2'000'000; ++i) {
    const float value = kmlut::numeric::float_from_bits(any_bits(generator));
    if (std::isnan(value))
      continue;
    ASSERT_EQ(float_to_half_bits(value), compiler_half(value)) << value;
  }
}

TEST(Fp16, OverflowAndUnderflowBoundaries) {
  EXPECT_EQ(float_to_half_bits(65504.0f), 0x7BFFu);
  EXPECT_EQ(float_to_half_bits(65519.99f), 0x7BFFu);  // below the rounding boundary 65520
  EXPECT_EQ(float_to_half_bits(65520.0f), 0x7C00u);   // ties to even: rounds up to infinity
  EXPECT_EQ(float_to_half_bits(-1e9f), 0xFC00u);
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.0f, -25)), 0x0000u);  // tie between 0 and 2^-24
  EXPECT_EQ(float_to_half_bits(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001u);
  EXPECT_EQ(float_to_half_bits(-0.0f), 0x8000u);
  EXPECT_TRUE(std::isnan(half_bits_to_float(float_to_half_bits(NAN))));
}

// numpy's answer for np.round(float16 -> float32 * 10**p) / 10**p, every pattern, as float32 bytes.
std::vector<float> numpy_rounding_table(int precision) {
  const std::string command = std::string(KMLUT_PYTHON) +
                              " -c \"import sys, numpy as np; p = int(sys.argv[1]); "
                              "x = np.arange(65536, dtype=np.uint16).view(np.float16)"
                              ".astype(np.float32); s = 10 ** p; "
                              "sys.stdout.buffer.write((np.round(x * s) / s)"
                              ".astype(np.float32).tobytes())\" " +
                              std::to_string(precision) + " 2>/dev/null";
  std::vector<float> table(65536);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr)
    return {};
  const std::size_t read = std::fread(table.data(), sizeof(float), table.size(), pipe);
  const int status = pclose(pipe);
  if (read != table.size() || status != 0)
    return {};
  return table;
}

TEST(FastModeRounding, TableMatchesNumpyForEveryPattern) {
  for (int precision : {1, 2, 3, 4, 6, 8}) {
    const std::vector<float> expected = numpy_rounding_table(precision);
    if (expected.empty())
      KMLUT_ORACLE_UNAVAILABLE("numpy is not available to " KMLUT_PYTHON);
    std::vector<float> actual(65536);
    kmlut::numeric::fill_rounding_table(precision, actual.data());
    for (std::uint32_t bits = 0; bits < 65536; ++bits) {
      if (std::isnan(expected[bits])) {
        ASSERT_TRUE(std::isnan(actual[bits]));
        continue;
      }
      ASSERT_EQ(float_bits(actual[bits]), float_bits(expected[bits]))
          << "precision " << precision << ", pattern " << bits << ": " << actual[bits]
          << " vs numpy " << expected[bits];
    }
  }
}

}  // namespace
