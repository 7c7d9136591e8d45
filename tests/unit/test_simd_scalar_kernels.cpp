// The scalar palettization kernels on every SIMD target this processor runs
// (host/backends/cpu/simd/scalar_kernels.hpp): the fp16 rounding against the compiler's own
// _Float16 conversion, the histogram keys against the value order, the error lanes against their
// documented order written out here, and whole scalar blocks — per tensor, grouped along either
// axis, 1 to 8 bits, fp16 / bf16 / fp32, fast mode and all values — bit-identical across targets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "host/backends/cpu/scalar_block_clusterer.hpp"
#include "host/backends/cpu/simd/scalar_kernels.hpp"
#include "host/backends/cpu/simd/simd_target.hpp"
#include "kmlut/numeric/fp16.hpp"
#include "kmlut/numeric/rounding.hpp"
#include "unit/scalar_reference.hpp"

namespace kmlut::cpu {
namespace {

float float_of_bits(std::uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

std::uint16_t bits_of_half(_Float16 half) {
  std::uint16_t bits;
  std::memcpy(&bits, &half, sizeof bits);
  return bits;
}

// Floats around every fp16 rounding boundary (each half's value and the midpoints to its
// neighbours, one float ulp either side), the ends of the range, and random bit patterns.
std::vector<float> rounding_probes() {
  std::vector<float> probes;
  for (std::uint32_t pattern = 0; pattern < 0x7C00u; ++pattern) {
    for (const float sign : {1.0f, -1.0f}) {
      const float low = sign * numeric::half_bits_to_float(static_cast<std::uint16_t>(pattern));
      const float high =
          sign * numeric::half_bits_to_float(static_cast<std::uint16_t>(pattern + 1));
      const float mid = low + (high - low) / 2;  // exact: the halves are 11-bit floats
      for (const float at : {low, mid})
        probes.insert(probes.end(),
                      {at, std::nextafter(at, -INFINITY), std::nextafter(at, INFINITY)});
    }
  }
  for (const float special : {65504.0f, 65519.99f, 65520.0f, 1e30f, 0x1p-25f, 0x1p-26f, 1e-40f,
                              std::numeric_limits<float>::infinity()})
    probes.insert(probes.end(), {special, -special});
  std::mt19937 generator(11);
  for (int i = 0; i < 200000; ++i)
    probes.push_back(float_of_bits(static_cast<std::uint32_t>(generator())));
  return probes;
}

TEST(SimdTargets, FloatKeysRoundToNearestEvenOnEveryTarget) {
  const std::vector<float> probes = rounding_probes();
  for (SimdTarget target : supported_simd_targets()) {
    SCOPED_TRACE(simd_target_name(target));
    const ScalarKernels& kernels = scalar_kernels(target);
    std::vector<std::uint16_t> keys(probes.size());
    // Runs of 1 to 37 values: every tail length of every target.
    std::mt19937 generator(3);
    std::size_t mismatches = 0;
    for (std::size_t start = 0; start < probes.size();) {
      const std::size_t n = std::min<std::size_t>(1 + generator() % 37, probes.size() - start);
      bool in_range = false;
      const KeyRange range = kernels.keys_of_floats(&probes[start], n, &keys[start], &in_range);
      bool expected_in_range = true;
      std::uint32_t low = 0xFFFFFFFFu;
      std::uint32_t high = 0;
      for (std::size_t i = start; i < start + n; ++i) {
        const float x = probes[i];
        expected_in_range = expected_in_range && std::fabs(x) <= 65504.0f;
        const std::uint16_t half =
            std::isnan(x) ? numeric::float_to_half_bits(x) : bits_of_half(static_cast<_Float16>(x));
        const std::uint32_t key = FastModeHistogram::key_of(half);
        mismatches += keys[i] != key;
        low = std::min(low, key);
        high = std::max(high, key);
      }
      EXPECT_EQ(in_range, expected_in_range) << "run at " << start;
      EXPECT_EQ(range.min, low) << "run at " << start;
      EXPECT_EQ(range.max, high) << "run at " << start;
      start += n;
    }
    EXPECT_EQ(mismatches, 0u);
  }
}

TEST(SimdTargets, HalfKeysFollowTheValueOrderOnEveryTarget) {
  std::vector<std::uint16_t> patterns(1u << 16);
  for (std::uint32_t p = 0; p < patterns.size(); ++p)
    patterns[p] = static_cast<std::uint16_t>(p);
  std::shuffle(patterns.begin(), patterns.end(), std::mt19937(5));
  for (SimdTarget target : supported_simd_targets()) {
    SCOPED_TRACE(simd_target_name(target));
    std::vector<std::uint16_t> keys(patterns.size());
    std::mt19937 generator(4);
    for (std::size_t start = 0; start < patterns.size();) {
      const std::size_t n = std::min<std::size_t>(1 + generator() % 41, patterns.size() - start);
      const KeyRange range =
          scalar_kernels(target).keys_of_halves(&patterns[start], n, &keys[start]);
      const auto [low, high] = std::minmax_element(keys.begin() + start, keys.begin() + start + n);
      EXPECT_EQ(range.min, *low);
      EXPECT_EQ(range.max, *high);
      start += n;
    }
    // A bijection whose order is the fp16 values' order (-0 just below +0; nans at the ends).
    std::vector<std::uint16_t> by_key(patterns.size());
    std::vector<bool> seen(patterns.size(), false);
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      ASSERT_FALSE(seen[keys[i]]);
      seen[keys[i]] = true;
      by_key[keys[i]] = patterns[i];
    }
    float previous = -INFINITY;
    for (const std::uint16_t pattern : by_key) {
      const float value = numeric::half_bits_to_float(pattern);
      if (std::isnan(value))
        continue;
      EXPECT_LE(previous, value) << "pattern " << pattern;
      previous = value;
    }
  }
}

TEST(SimdTargets, ErrorLanesAddInTheirDocumentedOrder) {
  std::mt19937 generator(9);
  std::student_t_distribution<double> t(3.0);
  std::vector<double> lut(256);
  for (double& entry : lut)
    entry = t(generator);
  for (const std::size_t n : {0, 1, 7, 8, 9, 23, 512}) {
    std::vector<double> values(n);
    std::vector<std::uint8_t> indices(n);
    for (std::size_t i = 0; i < n; ++i) {
      values[i] = t(generator);
      indices[i] = static_cast<std::uint8_t>(generator());
    }
    // Lane j: the elements j, j + 8, … in order, after what the lane held.
    ErrorLanes expected{};
    for (int lane = 0; lane < kErrorLanes; ++lane) {
      expected.sse[lane] = 0.5 * lane;
      expected.sq_norm[lane] = 0.25 * lane;
    }
    const ErrorLanes start = expected;
    for (std::size_t i = 0; i < n; ++i) {
      const double error = values[i] - lut[indices[i]];
      expected.sse[i % kErrorLanes] += error * error;
      expected.sq_norm[i % kErrorLanes] += values[i] * values[i];
    }
    for (SimdTarget target : supported_simd_targets()) {
      ErrorLanes lanes = start;
      scalar_kernels(target).add_errors(values.data(), indices.data(), lut.data(), n, lanes);
      EXPECT_EQ(std::memcmp(&lanes, &expected, sizeof lanes), 0)
          << simd_target_name(target) << ", n " << n;
    }
  }
}

struct Clustered {
  std::vector<std::uint8_t> lut;
  std::vector<std::uint8_t> indices;
  ScalarBlockOutcome outcome;
};

TEST(SimdTargets, ScalarBlocksAreTheSameOnEveryTarget) {
  constexpr std::uint64_t kRows = 160;
  constexpr std::uint64_t kCols = 130;
  // Per tensor (counted in bins), 16 rows (sorted), and 37 columns of every row (strided runs).
  const palettize::BlockRuns blocks[] = {{0, kRows * kCols, 1, kRows * kCols},
                                         {16 * kCols, 16 * kCols, 1, 16 * kCols},
                                         {5, 37, kRows, kCols}};
  std::vector<float> table(numeric::kHalfPatterns);
  unsigned seed = 0;
  for (const DType dtype : {DType::F16, DType::BF16, DType::F32}) {
    for (const bool beyond_half : {false, true}) {
      if (beyond_half && dtype == DType::F16)
        continue;
      std::vector<double> values = testing_support::student_t(kRows * kCols, ++seed);
      for (std::size_t i = 0; i < values.size(); i += 17)
        values[i] = values[i / 17];  // exact repeats
      if (beyond_half)
        values[kCols * 20 + 9] = -70000.0;  // every block keeps all values in fast mode too
      const auto w = testing_support::make_tensor(
          dtype, {static_cast<std::int64_t>(kRows), static_cast<std::int64_t>(kCols)}, values);
      for (const bool fast_mode : {true, false}) {
        for (int n_bits = 1; n_bits <= 8; ++n_bits) {
          numeric::fill_rounding_table(n_bits, table.data());
          for (const palettize::BlockRuns& block : blocks) {
            std::vector<Clustered> results;
            for (SimdTarget target : supported_simd_targets()) {
              Clustered out;
              out.lut.resize((std::size_t{1} << n_bits) * testing_support::element_bytes(dtype));
              out.indices.assign(kRows * kCols, 0);
              ScalarBlockTask task;
              task.dtype = dtype;
              task.values = w.bytes.data();
              task.block = block;
              task.n_bits = n_bits;
              task.fast_mode = fast_mode;
              task.rounding_table = fast_mode ? table.data() : nullptr;
              task.indices = out.indices.data();
              task.lut = out.lut.data();
              ScalarBlockClusterer clusterer(FastModeHistogram::Counting::BySize, target);
              out.outcome = clusterer.cluster(task);
              results.push_back(std::move(out));
            }
            SCOPED_TRACE(testing::Message()
                         << dtype_name(dtype) << " beyond fp16 " << beyond_half << " fast "
                         << fast_mode << " bits " << n_bits << " block at " << block.first);
            ASSERT_TRUE(results[0].outcome.measured);
            EXPECT_GT(results[0].outcome.sse, 0.0);
            for (std::size_t t = 1; t < results.size(); ++t) {
              EXPECT_EQ(results[t].lut, results[0].lut);
              EXPECT_EQ(results[t].indices, results[0].indices);
              EXPECT_EQ(results[t].outcome.unique_path, results[0].outcome.unique_path);
              EXPECT_EQ(
                  std::memcmp(&results[t].outcome.sse, &results[0].outcome.sse, sizeof(double)), 0);
              EXPECT_EQ(std::memcmp(&results[t].outcome.sq_norm, &results[0].outcome.sq_norm,
                                    sizeof(double)),
                        0);
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace kmlut::cpu
