// Vector palettization (cluster_dim > 1), LUT quantization and sensitivities in the CPU backend:
// the Core ML layout W[i·d + j, c] = LUT[idx[i, c]][j] checked by an independent reconstruction,
// losslessness when there are no more vectors than entries, padding, thread-count independence,
// per-channel scale, the skips, the quantized-LUT error bound and the sensitivity checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kmlut/error.hpp"
#include "kmlut/numeric/bit_packing.hpp"
#include "kmlut/palettize.hpp"
#include "unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using testing::HasSubstr;
using testing_support::element_value;
using testing_support::make_tensor;
using testing_support::OwnedTensor;
using testing_support::student_t;

PalettizeRequest vector_request(const OwnedTensor& tensor, int cluster_dim, int n_bits,
                                Granularity granularity = Granularity::per_tensor()) {
  PalettizeRequest request;
  request.name = "w";
  request.weight = tensor.view();
  request.spec.n_bits = n_bits;
  request.spec.cluster_dim = cluster_dim;
  request.spec.granularity = granularity;
  request.enable_fast_kmeans_mode = false;
  request.op_type = "linear";
  return request;
}

// Ŵ[r, c] of a rank-2 weight from the result, by the layout's definition alone.
std::vector<double> reconstruct(const PalettizeRequest& request, const PalettizeResult& result) {
  const auto rows = static_cast<std::size_t>(request.weight.shape[0]);
  const auto cols = static_cast<std::size_t>(request.weight.shape[1]);
  const auto d = static_cast<std::size_t>(request.spec.cluster_dim);
  const std::size_t entries = std::size_t{1} << request.spec.n_bits;
  const Granularity& g = request.spec.granularity;
  std::vector<double> out(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      std::size_t table = 0;
      if (g.type == GranularityType::PerGroupedChannel)
        table = (*g.axis == 0 ? r : c) / static_cast<std::size_t>(g.group_size);
      const std::size_t index = numeric::unpack_index(result.packed_indices.data(),
                                                      (r / d) * cols + c, request.spec.n_bits);
      double value =
          element_value(result.lut_dtype, result.lut.data(), (table * entries + index) * d + r % d);
      if (!result.scale.empty()) {
        value = testing_support::round_to(
            request.weight.dtype,
            value * element_value(request.weight.dtype, result.scale.data(), r));
      }
      out[r * cols + c] = value;
    }
  }
  return out;
}

double sse(const OwnedTensor& weight, const std::vector<double>& approximation) {
  double total = 0.0;
  for (std::size_t i = 0; i < approximation.size(); ++i) {
    const double error = element_value(weight.dtype, weight.bytes.data(), i) - approximation[i];
    total += error * error;
  }
  return total;
}

TEST(VectorPalettizer, FewVectorsAreReproducedExactlyInEveryGranularity) {
  const auto backend = make_cpu_backend(2);
  struct Case {
    std::vector<std::int64_t> shape;
    int d;
    Granularity granularity;
  };
  // Each block has at most 16 vectors: with 4-bit indices every vector is its own centroid.
  const Case cases[] = {{{8, 6}, 4, Granularity::per_tensor()},
                        {{8, 6}, 2, Granularity::per_grouped_channel(0, 4)},
                        {{4, 8}, 2, Granularity::per_grouped_channel(1, 4)},
                        {{6, 5}, 3, Granularity::per_grouped_channel(0, 3)}};
  unsigned seed = 1;
  for (const Case& c : cases) {
    for (DType dtype : {DType::F16, DType::F32, DType::BF16}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " d " + std::to_string(c.d));
      const OwnedTensor weight = make_tensor(
          dtype, c.shape, student_t(static_cast<std::size_t>(c.shape[0] * c.shape[1]), seed++));
      const PalettizeRequest request = vector_request(weight, c.d, 4, c.granularity);
      const PalettizeResult result = backend->run(request);
      ASSERT_TRUE(result.palettized) << result.skip_reason;
      EXPECT_EQ(result.lut_dtype, dtype);
      EXPECT_EQ(result.lut_shape.back(), c.d);
      EXPECT_EQ(result.index_shape[0], c.shape[0] / c.d);
      EXPECT_EQ(sse(weight, reconstruct(request, result)), 0.0);
      EXPECT_EQ(result.sse, 0.0);
    }
  }
}

TEST(VectorPalettizer, ReconstructionReproducesTheReportedSse) {
  const auto backend = make_cpu_backend(2);
  const OwnedTensor weight = make_tensor(DType::F16, {64, 96}, student_t(64 * 96, 3));
  for (int d : {2, 4, 8}) {
    for (bool scale : {false, true}) {
      SCOPED_TRACE("d " + std::to_string(d) + (scale ? " +scale" : ""));
      PalettizeRequest request =
          vector_request(weight, d, 4, Granularity::per_grouped_channel(0, 16));
      request.spec.enable_per_channel_scale = scale;
      const PalettizeResult result = backend->run(request);
      ASSERT_TRUE(result.palettized) << result.skip_reason;
      EXPECT_EQ(result.num_luts, 4u);
      EXPECT_EQ(result.scale.empty(), !scale);
      const double measured = sse(weight, reconstruct(request, result));
      EXPECT_GT(measured, 0.0);
      EXPECT_NEAR(result.sse, measured, 1e-12 * measured);
      EXPECT_GT(result.lloyd_iterations, 0u);
    }
  }
}

TEST(VectorPalettizer, FewerVectorsThanEntriesPadWithTheLastCentroid) {
  const OwnedTensor weight = make_tensor(DType::F32, {4, 3}, student_t(12, 5));
  const PalettizeResult result = make_cpu_backend(1)->run(vector_request(weight, 2, 4));
  ASSERT_TRUE(result.palettized);
  const std::size_t k = 6;  // 2 · 3 vectors
  for (std::size_t e = k; e < 16; ++e) {
    for (std::size_t j = 0; j < 2; ++j) {
      EXPECT_EQ(element_value(DType::F32, result.lut.data(), e * 2 + j),
                element_value(DType::F32, result.lut.data(), (k - 1) * 2 + j));
    }
  }
  EXPECT_EQ(result.sse, 0.0);
}

TEST(VectorPalettizer, ResultsAreByteIdenticalForAnyThreadCount) {
  // One block large enough to be split into chunks across threads, and many small blocks.
  const OwnedTensor large = make_tensor(DType::F16, {512, 512}, student_t(512 * 512, 7));
  const OwnedTensor small = make_tensor(DType::F32, {64, 64}, student_t(64 * 64, 8));
  std::vector<PalettizeRequest> requests = {
      vector_request(large, 2, 6),
      vector_request(small, 4, 4, Granularity::per_grouped_channel(0, 8))};
  requests[0].seed = 42;
  const std::vector<PalettizeResult> one = make_cpu_backend(1)->run_batch(requests);
  const std::vector<PalettizeResult> two = make_cpu_backend(2)->run_batch(requests);
  const std::vector<PalettizeResult> five = make_cpu_backend(5)->run_batch(requests);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    ASSERT_TRUE(one[i].palettized) << one[i].skip_reason;
    EXPECT_EQ(one[i].lut, two[i].lut);
    EXPECT_EQ(one[i].packed_indices, two[i].packed_indices);
    EXPECT_EQ(one[i].sse, two[i].sse);
    EXPECT_EQ(one[i].lut, five[i].lut);
    EXPECT_EQ(one[i].packed_indices, five[i].packed_indices);
  }
}

TEST(VectorPalettizer, SkipsWhatDoesNotFitWithAReason) {
  const auto backend = make_cpu_backend(1);
  const OwnedTensor weight = make_tensor(DType::F32, {10, 6}, student_t(60, 9));
  EXPECT_THAT(backend->run(vector_request(weight, 4, 4)).skip_reason,
              HasSubstr("cluster_dim 4 does not divide dimension 0 (10)"));
  EXPECT_THAT(backend->run(vector_request(weight, 3, 4, Granularity::per_grouped_channel(0, 5)))
                  .skip_reason,
              HasSubstr("cluster_dim 3 does not divide group_size (5)"));
  const OwnedTensor conv = make_tensor(DType::F32, {8, 4, 3, 3}, student_t(288, 10));
  PalettizeRequest conv_request =
      vector_request(conv, 2, 4, Granularity::per_grouped_channel(1, 2));
  conv_request.op_type = "conv2d";
  EXPECT_THAT(backend->run(conv_request).skip_reason, HasSubstr("kernel size of 1"));
  EXPECT_EQ(preflight_skip_reason(conv_request, false), backend->run(conv_request).skip_reason);
  const OwnedTensor pointwise = make_tensor(DType::F32, {8, 4, 1, 1}, student_t(32, 11));
  PalettizeRequest pointwise_request =
      vector_request(pointwise, 2, 4, Granularity::per_grouped_channel(1, 2));
  pointwise_request.op_type = "conv2d";
  EXPECT_TRUE(backend->run(pointwise_request).palettized);
}

// Every dequantized entry lies within half a step of the float LUT it came from.
TEST(LutQuantization, RoundTripStaysWithinHalfAStep) {
  const auto backend = make_cpu_backend(2);
  const OwnedTensor weight = make_tensor(DType::F32, {32, 64}, student_t(32 * 64, 12, 0.05));
  for (int d : {1, 2}) {
    PalettizeRequest plain = vector_request(weight, d, 4, Granularity::per_grouped_channel(0, 8));
    plain.enable_fast_kmeans_mode = d == 1;
    const PalettizeResult reference = backend->run(plain);
    ASSERT_TRUE(reference.palettized);
    for (LutDType dtype : {LutDType::Int8, LutDType::UInt8}) {
      for (QScheme scheme : {QScheme::Symmetric, QScheme::Asymmetric}) {
        SCOPED_TRACE("d " + std::to_string(d) + (dtype == LutDType::Int8 ? " int8" : " uint8") +
                     (scheme == QScheme::Symmetric ? " symmetric" : " asymmetric"));
        PalettizeRequest request = plain;
        request.spec.lut_qspec = LutQSpec{dtype, scheme};
        const PalettizeResult result = backend->run(request);
        ASSERT_TRUE(result.palettized) << result.skip_reason;
        EXPECT_EQ(result.lut_dtype, dtype == LutDType::Int8 ? DType::I8 : DType::U8);
        EXPECT_EQ(result.packed_indices, reference.packed_indices);  // indices stay
        ASSERT_EQ(result.lut_scale.size(), 4 * result.num_luts);
        ASSERT_EQ(result.lut_zero_point.size(), result.num_luts);
        const std::size_t per_lut = result.lut.size() / result.num_luts;
        double max_entry = 0.0;
        for (std::size_t t = 0; t < result.num_luts; ++t) {
          float scale;
          std::memcpy(&scale, result.lut_scale.data() + 4 * t, 4);
          const int zero = dtype == LutDType::Int8
                               ? static_cast<std::int8_t>(result.lut_zero_point[t])
                               : result.lut_zero_point[t];
          for (std::size_t e = t * per_lut; e < (t + 1) * per_lut; ++e) {
            const int code =
                dtype == LutDType::Int8 ? static_cast<std::int8_t>(result.lut[e]) : result.lut[e];
            const double entry = element_value(DType::F32, reference.lut.data(), e);
            const double dequantized = static_cast<double>(static_cast<float>(code - zero) * scale);
            // Half a step, plus the float32 roundings of x / scale and of (q − z) · scale.
            const double rounding = 0x1.0p-22 * (std::fabs(entry) + 256.0 * scale);
            EXPECT_LE(std::fabs(dequantized - entry), 0.5 * scale + rounding);
            max_entry = std::max(max_entry, std::fabs(entry));
          }
        }
        EXPECT_GT(max_entry, 0.0);
        EXPECT_GE(result.sse, reference.sse * (1 - 1e-12));  // quantization cannot help
      }
    }
  }
}

TEST(Sensitivity, MismatchedOrInvalidSensitivityIsAnErrorNamingTheTensor) {
  const auto backend = make_cpu_backend(1);
  const OwnedTensor weight = make_tensor(DType::F32, {8, 8}, student_t(64, 13));
  const OwnedTensor wrong_shape = make_tensor(DType::F32, {8, 4}, std::vector<double>(32, 1.0));
  PalettizeRequest request = vector_request(weight, 1, 4);
  request.name = "layers.0.weight";
  request.sensitivity = wrong_shape.view();
  try {
    backend->run(request);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_THAT(error.what(), HasSubstr("sensitivity of tensor layers.0.weight has shape [8,4], "
                                        "expected [8,8]"));
  }
  std::vector<double> negative(64, 1.0);
  negative[5] = -1.0;
  const OwnedTensor bad = make_tensor(DType::F32, {8, 8}, negative);
  request.sensitivity = bad.view();
  EXPECT_THROW(
      {
        try {
          backend->run(request);
        } catch (const InputError& error) {
          EXPECT_THAT(error.what(), HasSubstr("is negative at element 5"));
          throw;
        }
      },
      InputError);
}

// A heavily weighted vector is reproduced almost exactly; unweighted, it is averaged away.
TEST(Sensitivity, WeightsPullCentroidsTowardImportantVectors) {
  const auto backend = make_cpu_backend(1);
  const OwnedTensor weight = make_tensor(DType::F32, {64, 32}, student_t(64 * 32, 14));
  std::vector<double> importance(64 * 32, 1e-4);
  importance[5 * 32 + 7] = importance[4 * 32 + 7] = 1.0;  // vector (2, 7) with d = 2
  const OwnedTensor sensitivity = make_tensor(DType::F32, {64, 32}, importance);
  for (int d : {1, 2}) {
    PalettizeRequest request = vector_request(weight, d, 2);
    request.enable_fast_kmeans_mode = false;
    const PalettizeResult plain = backend->run(request);
    request.sensitivity = sensitivity.view();
    const PalettizeResult weighted = backend->run(request);
    const std::vector<double> a = reconstruct(request, plain);
    const std::vector<double> b = reconstruct(request, weighted);
    const double target = element_value(DType::F32, weight.bytes.data(), 5 * 32 + 7);
    EXPECT_LT(std::fabs(b[5 * 32 + 7] - target), 0.25 * std::fabs(a[5 * 32 + 7] - target))
        << "d " << d;
  }
}

}  // namespace
}  // namespace kmlut
