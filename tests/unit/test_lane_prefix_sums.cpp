// The prefix sums of w, w·x and w·x² on several lanes (kmlut/numeric/lane_prefix_sums.hpp) against
// the CPU's sequential fill_prefix_sums, bit for bit. Integer points with counts and short fp16
// blocks pass the exactness certificate, so the lanes sum them in chunks; float32 points with
// real weights fail it, so the leader sums them in order; both must give the sequential bits.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kmlut/numeric/cluster_cost.hpp"
#include "kmlut/numeric/fp16.hpp"
#include "kmlut/numeric/lane_prefix_sums.hpp"
#include "unit/thread_lanes.hpp"

namespace {

using Rng = std::mt19937_64;

struct Points {
  std::string kind;
  std::vector<double> x;  // ascending
  std::vector<double> w;
};

Points integers_with_counts(std::size_t n, Rng& rng) {
  std::uniform_int_distribution<int> count(1, 1000);
  Points p{"integers with counts", {}, {}};
  for (std::size_t i = 0; i < n; ++i) {
    p.x.push_back(static_cast<double>(i) - static_cast<double>(n / 2));
    p.w.push_back(count(rng));
  }
  return p;
}

// Distinct fp16 values of a narrow Gaussian, counts as a block's histogram gives them.
Points fp16_with_counts(std::size_t n, float spread, Rng& rng) {
  std::normal_distribution<float> gauss(0.0f, spread);
  std::set<double> values;
  while (values.size() < n)
    values.insert(
        kmlut::numeric::half_bits_to_float(kmlut::numeric::float_to_half_bits(gauss(rng))));
  Points p{"fp16 values with counts", {values.begin(), values.end()}, {}};
  std::geometric_distribution<int> count(0.01);
  for (std::size_t i = 0; i < n; ++i)
    p.w.push_back(1.0 + count(rng));
  return p;
}

Points float32_with_real_weights(std::size_t n, Rng& rng) {
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::uniform_real_distribution<double> weight(0.1, 10.0);
  std::set<double> values;
  while (values.size() < n)
    values.insert(gauss(rng));
  Points p{"float32 values, real weights", {values.begin(), values.end()}, {}};
  for (std::size_t i = 0; i < n; ++i)
    p.w.push_back(weight(rng));
  return p;
}

std::vector<std::uint64_t> bits_of(const std::vector<double>& values) {
  std::vector<std::uint64_t> bits(values.size());
  std::memcpy(bits.data(), values.data(), values.size() * sizeof(double));
  return bits;
}

void expect_sequential_bits(const Points& p) {
  const std::size_t n = p.x.size();
  std::vector<double> expected(3 * (n + 1));
  kmlut::numeric::fill_prefix_sums(p.x.data(), p.w.data(), n, expected.data(),
                                   expected.data() + n + 1, expected.data() + 2 * (n + 1));
  for (const unsigned lanes : {1u, 3u, 8u, 32u}) {
    std::vector<double> got(3 * (n + 1), -1.0);
    std::vector<double> scratch(2 * (n + 1), -1.0);
    kmlut::test::run_on_threads(lanes, [&](auto& cta) {
      kmlut::numeric::fill_prefix_sums_on_lanes(cta, p.x.data(), p.w.data(), n, got.data(),
                                                got.data() + n + 1, got.data() + 2 * (n + 1),
                                                scratch.data());
    });
    ASSERT_EQ(bits_of(got), bits_of(expected))
        << p.kind << ", n " << n << ", " << lanes << " lanes";
  }
}

TEST(LanePrefixSums, AreTheSequentialSumsBitForBit) {
  Rng rng(31);
  for (const std::size_t n : {1u, 7u, 64u, 300u, 1000u, 4099u}) {
    expect_sequential_bits(integers_with_counts(n, rng));
    expect_sequential_bits(fp16_with_counts(n < 2000 ? n : 2000, 0.02f, rng));
    expect_sequential_bits(fp16_with_counts(n < 2000 ? n : 2000, 30.0f, rng));
    expect_sequential_bits(float32_with_real_weights(n, rng));
  }
}

TEST(LanePrefixSums, LowestBitExponent) {
  EXPECT_EQ(kmlut::numeric::lowest_bit_exponent(1.0), 0);
  EXPECT_EQ(kmlut::numeric::lowest_bit_exponent(-12.0), 2);
  EXPECT_EQ(kmlut::numeric::lowest_bit_exponent(0.375), -3);
  EXPECT_EQ(kmlut::numeric::lowest_bit_exponent(1.0 + 0x1p-52), -52);
  EXPECT_EQ(kmlut::numeric::lowest_bit_exponent(0x1p-1074), -1074);
  EXPECT_EQ(kmlut::numeric::lowest_bit_exponent(3 * 0x1p-1060), -1060);
  EXPECT_EQ(kmlut::numeric::lowest_bit_exponent(std::numeric_limits<double>::infinity()),
            kmlut::numeric::kNotExact);
}

}  // namespace
