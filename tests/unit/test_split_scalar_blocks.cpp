// Scalar blocks larger than one chunk count, assign and measure their chunks across the thread
// pool, and the indices are packed in chunks too: per-tensor and grouped cases (axis 0, and axis 1
// where chunks end inside a run) in every path — fp16 and bf16 patterns, fp32 in fast mode, every
// value with fast mode off, sensitivities, per-channel scale with a quantized LUT — give the same
// bytes and the same error sums with 1, 2 and 3 threads. (That the split path's LUTs and indices
// are coreai_opt's is ScalarParity's, whose large cases take it.)
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "host/backends/cpu/scalar_block_clusterer.hpp"
#include "kmlut/palettize.hpp"
#include "unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using testing_support::make_tensor;
using testing_support::OwnedTensor;
using testing_support::student_t;

std::uint64_t bits_of(double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

TEST(SplitScalarBlocks, BytesAndErrorsDoNotDependOnTheThreadCount) {
  constexpr std::int64_t kRows = 1024;
  constexpr std::int64_t kCols = 672;  // 688,128 elements: three chunks per per-tensor block
  static_assert(
      kRows * kCols > 2 * static_cast<std::int64_t>(cpu::ScalarBlockClusterer::kChunkElements),
      "a per-tensor block spans several chunks");
  std::vector<OwnedTensor> weights;
  unsigned seed = 10;
  for (DType dtype : {DType::F16, DType::BF16, DType::F32})
    weights.push_back(make_tensor(dtype, {kRows, kCols}, student_t(kRows * kCols, ++seed)));
  std::vector<double> squared = student_t(kRows * kCols, ++seed, 1.0);
  for (double& s : squared)
    s *= s;  // squared-gradient-like: non-negative, heavy-tailed
  const OwnedTensor sensitivity = make_tensor(DType::F32, {kRows, kCols}, squared);
  std::vector<PalettizeRequest> requests;
  auto add = [&](const OwnedTensor& weight, int n_bits, Granularity granularity, bool fast_mode) {
    PalettizeRequest request;
    request.name = "w" + std::to_string(requests.size());
    request.weight = weight.view();
    request.spec.n_bits = n_bits;
    request.spec.granularity = granularity;
    request.enable_fast_kmeans_mode = fast_mode;
    request.op_type = "linear";
    requests.push_back(request);
    return &requests.back();
  };
  for (const OwnedTensor& weight : weights) {
    add(weight, 4, Granularity::per_tensor(), true);
    add(weight, 3, Granularity::per_tensor(), false);
    add(weight, 4, Granularity::per_grouped_channel(0, 512), true);
    add(weight, 2, Granularity::per_grouped_channel(1, 336), true);  // runs of 336 elements
  }
  add(weights[0], 4, Granularity::per_tensor(), true)->sensitivity = sensitivity.view();
  PalettizeRequest* scaled = add(weights[2], 4, Granularity::per_tensor(), true);
  scaled->spec.enable_per_channel_scale = true;
  scaled->spec.lut_qspec = LutQSpec{};

  const auto one = make_cpu_backend(1)->run_batch(requests);
  for (const unsigned threads : {2u, 3u}) {
    const auto many = make_cpu_backend(static_cast<int>(threads))->run_batch(requests);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      SCOPED_TRACE(testing::Message() << "request " << i << ", " << threads << " threads");
      ASSERT_TRUE(one[i].palettized) << one[i].skip_reason;
      EXPECT_EQ(one[i].lut, many[i].lut);
      EXPECT_EQ(one[i].lut_scale, many[i].lut_scale);
      EXPECT_EQ(one[i].packed_indices, many[i].packed_indices);
      EXPECT_EQ(bits_of(one[i].sse), bits_of(many[i].sse));
      EXPECT_EQ(bits_of(one[i].weight_sq_norm), bits_of(many[i].weight_sq_norm));
    }
  }
}

}  // namespace
}  // namespace kmlut
