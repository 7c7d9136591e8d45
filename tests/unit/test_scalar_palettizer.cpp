// Properties of the CPU backend's scalar palettization that hold whatever the data: reconstruction
// reproduces the reported SSE, LUTs are ascending and padded, the exact optimum on small inputs,
// thread-count independence, the LUT layout per granularity, and the documented skips.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "kmlut/numeric/rounding.hpp"
#include "kmlut/palettize.hpp"
#include "unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using testing::HasSubstr;
using testing_support::decode;
using testing_support::element_value;
using testing_support::make_tensor;
using testing_support::OwnedTensor;
using testing_support::student_t;

PalettizeRequest request_for(const OwnedTensor& tensor, int n_bits,
                             Granularity granularity = Granularity::per_tensor(),
                             bool fast_mode = true, bool per_channel_scale = false) {
  PalettizeRequest request;
  request.name = "w";
  request.weight = tensor.view();
  request.spec.n_bits = n_bits;
  request.spec.granularity = granularity;
  request.spec.enable_per_channel_scale = per_channel_scale;
  request.enable_fast_kmeans_mode = fast_mode;
  request.op_type = "linear";
  return request;
}

double sse_of(const std::vector<double>& original, const std::vector<double>& approximation) {
  double sse = 0.0;
  for (std::size_t i = 0; i < original.size(); ++i) {
    sse += (original[i] - approximation[i]) * (original[i] - approximation[i]);
  }
  return sse;
}

std::vector<double> values_of(const OwnedTensor& tensor) {
  std::vector<double> values(tensor.bytes.size() / testing_support::element_bytes(tensor.dtype));
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = element_value(tensor.dtype, tensor.bytes.data(), i);
  return values;
}

TEST(ScalarPalettizer, ReconstructionReproducesTheReportedSse) {
  const auto backend = make_cpu_backend(2);
  for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::F64}) {
    for (bool fast : {true, false}) {
      for (bool scale : {false, true}) {
        const OwnedTensor weight = make_tensor(dtype, {64, 48}, student_t(64 * 48, 11));
        const auto request =
            request_for(weight, 3, Granularity::per_grouped_channel(0, 16), fast, scale);
        const PalettizeResult result = backend->run(request);
        ASSERT_TRUE(result.palettized) << result.skip_reason;
        const std::vector<double> original = values_of(weight);
        const double expected = sse_of(original, decode(result, weight.shape, 3));
        EXPECT_NEAR(result.sse, expected, 1e-12 * std::max(1.0, expected))
            << dtype_name(dtype) << " fast " << fast << " scale " << scale;
        EXPECT_GT(result.sse, 0.0);
      }
    }
  }
}

TEST(ScalarPalettizer, LutIsAscendingAndPaddedWithItsLastCentroid) {
  const OwnedTensor weight =
      make_tensor(DType::F32, {4, 4},
                  {0.5, -1, 0.25, 0.5, -1, -1, 0.25, 0.5, 0.5, 0.5, -1, 0.25, 0.25, 0.5, -1, -1});
  const PalettizeResult result = make_cpu_backend(1)->run(request_for(weight, 4));
  ASSERT_TRUE(result.palettized);
  std::vector<double> lut(16);
  for (std::size_t i = 0; i < 16; ++i)
    lut[i] = element_value(DType::F32, result.lut.data(), i);
  EXPECT_EQ(lut[0], -1.0);
  EXPECT_EQ(lut[1], 0.25);
  for (std::size_t i = 2; i < 16; ++i)
    EXPECT_EQ(lut[i], 0.5) << i;
  EXPECT_EQ(result.sse, 0.0);  // three distinct values, sixteen entries: lossless
  EXPECT_EQ(result.lut_shape, (std::vector<std::int64_t>{1, 1, 16, 1}));
}

// Every partition of sorted points into k contiguous non-empty runs, brute force.
double brute_force_sse(std::vector<double> points, int k) {
  std::sort(points.begin(), points.end());
  const std::size_t n = points.size();
  double best = INFINITY;
  std::vector<std::size_t> cuts(static_cast<std::size_t>(k - 1));
  std::function<void(std::size_t, std::size_t)> choose = [&](std::size_t depth, std::size_t from) {
    if (depth == cuts.size()) {
      double total = 0.0;
      std::size_t begin = 0;
      for (std::size_t c = 0; c <= cuts.size(); ++c) {
        const std::size_t end = c < cuts.size() ? cuts[c] : n;
        double mean = 0.0;
        for (std::size_t i = begin; i < end; ++i)
          mean += points[i];
        mean /= static_cast<double>(end - begin);
        for (std::size_t i = begin; i < end; ++i)
          total += (points[i] - mean) * (points[i] - mean);
        begin = end;
      }
      best = std::min(best, total);
      return;
    }
    for (std::size_t cut = from; cut + (cuts.size() - depth) <= n - 1; ++cut) {
      cuts[depth] = cut + 1;
      choose(depth + 1, cut + 1);
    }
  };
  choose(0, 0);
  return best;
}

TEST(ScalarPalettizer, AllValuesPathFindsTheBruteForceOptimum) {
  std::mt19937 generator(3);
  const auto backend = make_cpu_backend(1);
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t n = 6 + trial % 6;
    std::vector<double> values = student_t(n, 100 + trial, 1.0);
    if (trial % 3 == 0)
      values[1] = values[0];  // duplicates
    const OwnedTensor weight = make_tensor(DType::F64, {1, static_cast<std::int64_t>(n)}, values);
    for (int n_bits : {1, 2}) {
      const PalettizeResult result =
          backend->run(request_for(weight, n_bits, Granularity::per_tensor(), false));
      const int k = std::min<int>(1 << n_bits, static_cast<int>(n));
      EXPECT_NEAR(result.sse, brute_force_sse(values, k), 1e-12) << "trial " << trial;
    }
  }
}

TEST(ScalarPalettizer, FastModeClustersTheRoundedFp16Values) {
  // 0.12341 and 0.12344 round to 0.1234 at precision 4: one point of weight 2, so 2 clusters
  // are enough to be lossless on the rounded values.
  const OwnedTensor weight = make_tensor(DType::F32, {1, 4}, {0.12341, 0.12344, 0.5, 0.5});
  const PalettizeResult result = make_cpu_backend(1)->run(request_for(weight, 1));
  ASSERT_TRUE(result.palettized);
  EXPECT_EQ(result.unique_path_blocks, 1u);
  EXPECT_EQ(result.indices, (std::vector<std::uint8_t>{0, 0, 1, 1}));
  const float rounded = numeric::rounded_half_value(numeric::float_to_half_bits(0.12341f), 1e4f);
  EXPECT_EQ(element_value(DType::F32, result.lut.data(), 0), static_cast<double>(rounded));
}

TEST(ScalarPalettizer, SignedZerosAreOneValue) {
  const OwnedTensor weight = make_tensor(DType::F16, {1, 4}, {-0.0, 0.0, 1.0, 2.0});
  const PalettizeResult result = make_cpu_backend(1)->run(request_for(weight, 2));
  ASSERT_TRUE(result.palettized);
  EXPECT_EQ(result.indices[0], result.indices[1]);
  EXPECT_EQ(result.sse, 0.0);
}

TEST(ScalarPalettizer, OutOfFp16RangeFallsBackToAllValues) {
  std::vector<double> values = student_t(256, 5);
  values[7] = 70000.0;
  const OwnedTensor weight = make_tensor(DType::F32, {16, 16}, values);
  const PalettizeResult result = make_cpu_backend(1)->run(request_for(weight, 4));
  ASSERT_TRUE(result.palettized);
  EXPECT_EQ(result.unique_path_blocks, 0u);
}

TEST(ScalarPalettizer, ResultsAreByteIdenticalForAnyThreadCount) {
  std::vector<PalettizeRequest> requests;
  std::vector<OwnedTensor> weights;
  weights.push_back(make_tensor(DType::F16, {128, 64}, student_t(128 * 64, 1)));
  weights.push_back(make_tensor(DType::BF16, {64, 96}, student_t(64 * 96, 2)));
  weights.push_back(make_tensor(DType::F32, {32, 16, 3, 3}, student_t(32 * 16 * 9, 3)));
  requests.push_back(request_for(weights[0], 4, Granularity::per_grouped_channel(0, 16)));
  requests.push_back(
      request_for(weights[1], 6, Granularity::per_grouped_channel(1, 16), true, true));
  requests.push_back(request_for(weights[2], 3, Granularity::per_grouped_channel(1, 8), false));
  const auto one = make_cpu_backend(1)->run_batch(requests);
  const auto two = make_cpu_backend(2)->run_batch(requests);
  const auto five = make_cpu_backend(5)->run_batch(requests);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(one[i].lut, two[i].lut);
    EXPECT_EQ(one[i].packed_indices, two[i].packed_indices);
    EXPECT_EQ(one[i].lut, five[i].lut);
    EXPECT_EQ(one[i].packed_indices, five[i].packed_indices);
    EXPECT_EQ(one[i].sse, five[i].sse);
  }
}

// Block b of the tensor holds values around 100·b, so a LUT used for the wrong block would show
// as a huge error.
TEST(ScalarPalettizer, EachGroupGetsItsOwnLutInTheCoreMlLayout) {
  const std::vector<std::int64_t> conv_shape{8, 6, 3, 3};
  std::vector<double> values(8 * 6 * 9);
  std::mt19937 generator(9);
  std::uniform_real_distribution<double> noise(-1.0, 1.0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t in_channel = (i / 9) % 6;
    values[i] = 100.0 * static_cast<double>(in_channel / 2) + noise(generator);
  }
  const OwnedTensor weight = make_tensor(DType::F32, conv_shape, values);
  PalettizeRequest request = request_for(weight, 4, Granularity::per_grouped_channel(1, 2), false);
  request.op_type = "conv2d";
  const PalettizeResult result = make_cpu_backend(2)->run(request);
  ASSERT_TRUE(result.palettized);
  EXPECT_EQ(result.lut_shape, (std::vector<std::int64_t>{1, 3, 1, 1, 16, 1}));
  EXPECT_EQ(result.num_luts, 3u);
  EXPECT_LT(result.sse / static_cast<double>(values.size()), 0.05);
  EXPECT_NEAR(result.sse, sse_of(values_of(weight), decode(result, conv_shape, 4)), 1e-9);

  const OwnedTensor rows = make_tensor(DType::F32, {8, 6}, student_t(48, 4));
  const PalettizeResult by_rows =
      make_cpu_backend(1)->run(request_for(rows, 2, Granularity::per_grouped_channel(0, 4)));
  EXPECT_EQ(by_rows.lut_shape, (std::vector<std::int64_t>{2, 1, 4, 1}));
}

TEST(ScalarPalettizer, PerChannelScaleIsTheRowMaximum) {
  const OwnedTensor weight =
      make_tensor(DType::F16, {3, 4}, {1, -4, 2, 0, 0, 0, 0, 0, 0.5, 0.25, -0.125, 0});
  const PalettizeResult result =
      make_cpu_backend(1)->run(request_for(weight, 2, Granularity::per_tensor(), true, true));
  ASSERT_TRUE(result.palettized);
  EXPECT_EQ(result.scale_shape, (std::vector<std::int64_t>{3, 1}));
  EXPECT_EQ(element_value(DType::F16, result.scale.data(), 0), 4.0);
  EXPECT_EQ(element_value(DType::F16, result.scale.data(), 1), 1.0);  // an all-zero row: 1
  EXPECT_EQ(element_value(DType::F16, result.scale.data(), 2), 0.5);
}

TEST(ScalarPalettizer, SkipsWhatDoesNotFitWithAReason) {
  const auto backend = make_cpu_backend(1);
  const OwnedTensor weight = make_tensor(DType::F32, {10, 6}, student_t(60, 8));
  EXPECT_THAT(
      backend->run(request_for(weight, 4, Granularity::per_grouped_channel(0, 4))).skip_reason,
      HasSubstr("group_size 4 does not divide dimension 0 (size 10)"));
  std::vector<double> with_nan = student_t(60, 8);
  with_nan[17] = NAN;
  const OwnedTensor nan_weight = make_tensor(DType::F32, {10, 6}, with_nan);
  const PalettizeResult nan_result = backend->run(request_for(nan_weight, 4));
  EXPECT_FALSE(nan_result.palettized);
  EXPECT_THAT(nan_result.skip_reason, HasSubstr("non-finite value at element 17"));
  const OwnedTensor vector = make_tensor(DType::F32, {8}, student_t(8, 8));
  EXPECT_THAT(
      backend->run(request_for(vector, 4, Granularity::per_grouped_channel(0, 4))).skip_reason,
      HasSubstr("rank >= 2"));
}

// The first non-finite element is the one named, in every dtype, wherever it lies among the
// tiles the check scans (here past the first 4,096 elements, with a later one too), by the
// preflight the pipeline runs and by a backend given an unchecked request.
TEST(ScalarPalettizer, NamesTheFirstNonFiniteElement) {
  const auto backend = make_cpu_backend(1);
  for (const DType dtype : {DType::F16, DType::BF16, DType::F32, DType::F64}) {
    for (const double bad : {double{NAN}, -double{INFINITY}}) {
      std::vector<double> values = student_t(9000, 8);
      values[8100] = NAN;
      values[4101] = bad;
      const OwnedTensor weight = make_tensor(dtype, {90, 100}, values);
      SCOPED_TRACE(testing::Message() << dtype_name(dtype) << " " << bad);
      EXPECT_EQ(preflight_skip_reason(request_for(weight, 4), /*check_values=*/true),
                "non-finite value at element 4101");
      EXPECT_THAT(backend->run(request_for(weight, 4)).skip_reason,
                  HasSubstr("non-finite value at element 4101"));
    }
  }
}

}  // namespace
}  // namespace kmlut
