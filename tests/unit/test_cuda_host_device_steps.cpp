// The host/device code the CUDA kernels run, checked on the CPU against the CPU backend's own
// rules: the float-format traits' centroid rounding (kmlut/numeric/float_format.hpp), the
// histogram keys against FastModeHistogram, the unique-points steps
// (kernels/unique_points_steps.hpp, with the block-wide scans done sequentially) against
// FastModeHistogram::collect, and the block walk of kernels/scalar_batch.hpp against
// palettize::BlockRuns.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "host/backends/cpu/fast_mode_histogram.hpp"
#include "host/palettize/block_layout.hpp"
#include "kernels/scalar_batch.hpp"
#include "kernels/unique_points_steps.hpp"
#include "kmlut/numeric/float_format.hpp"
#include "kmlut/numeric/half_pattern_keys.hpp"
#include "kmlut/numeric/rounding.hpp"

namespace kmlut {
namespace {

template <class T>
std::uint64_t bits_of(T value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof value);
  return bits;
}

// A float64 centroid is stored as torch's Tensor.to() stores it: rounded to float32 first, then
// to the 16-bit format. The values are measured with torch 2.x (coreai_opt's centroid cast) and
// sit where one rounding and two roundings disagree.
TEST(CudaHostDeviceSteps, CentroidsRoundThroughFloat32AsTorchDoes) {
  using F16 = numeric::FloatFormat<DType::F16>;
  using BF16 = numeric::FloatFormat<DType::BF16>;
  EXPECT_EQ(F16::from_double(-0.13604736869985407), 0xB05Au);  // straight to fp16: 0xB05B
  EXPECT_EQ(F16::from_double(1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)), 0x3C00u);
  EXPECT_EQ(BF16::from_double(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40)), 0x3F80u);
  EXPECT_EQ(numeric::FloatFormat<DType::F32>::from_double(0.1), 0.1f);
}

TEST(CudaHostDeviceSteps, HalfRangeAndPatterns) {
  using F32 = numeric::FloatFormat<DType::F32>;
  using BF16 = numeric::FloatFormat<DType::BF16>;
  EXPECT_TRUE(F32::in_half_range(65504.0f));
  EXPECT_FALSE(F32::in_half_range(65505.0f));
  EXPECT_FALSE(F32::in_half_range(-1e6f));
  EXPECT_TRUE(BF16::in_half_range(numeric::float_to_bf16_bits(65280.0f)));
  EXPECT_FALSE(BF16::in_half_range(numeric::float_to_bf16_bits(65536.0f)));
  EXPECT_EQ(F32::histogram_pattern(0.1f), numeric::float_to_half_bits(0.1f));
  EXPECT_EQ(numeric::FloatFormat<DType::F64>::histogram_pattern(0.1),
            numeric::double_to_half_bits(0.1));
}

TEST(CudaHostDeviceSteps, KeysAreTheCpuHistogramsBins) {
  for (std::uint32_t p = 0; p < numeric::kPatternKeys; ++p) {
    const auto pattern = static_cast<std::uint16_t>(p);
    ASSERT_EQ(numeric::pattern_key(pattern), cpu::FastModeHistogram::key_of(pattern));
    ASSERT_EQ(numeric::key_pattern(numeric::pattern_key(pattern)), pattern);
  }
}

TEST(CudaHostDeviceSteps, ClusteredValuesAscendWithTheKeys) {
  std::vector<float> table(numeric::kHalfPatterns);
  numeric::fill_rounding_table(4, table.data());
  for (bool bf16 : {false, true}) {
    for (const float* rounding :
         {static_cast<const float*>(nullptr), static_cast<const float*>(table.data())}) {
      double previous = -std::numeric_limits<double>::infinity();
      for (std::uint32_t key = 0; key < numeric::kPatternKeys; ++key) {
        const double value = numeric::clustered_value(numeric::key_pattern(key), bf16, rounding);
        if (std::isnan(value))
          continue;
        ASSERT_GE(value, previous) << "key " << key << (bf16 ? " bf16" : " fp16");
        previous = value;
      }
    }
  }
}

// The unique-points phase as the kernel runs it, its two block-wide scans done in thread order.
void device_unique_values(const std::vector<std::uint32_t>& histogram, bool bf16,
                          const float* table, std::vector<double>& points,
                          std::vector<double>& weights) {
  constexpr std::uint32_t kThreads = 1024;
  constexpr std::uint32_t kKeys = numeric::kPatternKeys / kThreads;
  std::vector<cuda::KeyRangeSummary> summaries(kThreads);
  for (std::uint32_t t = 0; t < kThreads; ++t)
    summaries[t] =
        cuda::summarize_keys(histogram.data() + t * kKeys, 1, t * kKeys, kKeys, bf16, table);
  std::vector<bool> first_starts(kThreads);
  std::vector<std::uint32_t> first_index(kThreads);
  bool before_present = false;
  double before = 0.0;
  std::uint32_t total = 0;
  for (std::uint32_t t = 0; t < kThreads; ++t) {
    const cuda::KeyRangeSummary& s = summaries[t];
    first_starts[t] = s.any && (!before_present || s.first_value != before);
    first_index[t] = total;
    total += s.inner_starts + (first_starts[t] ? 1u : 0u);
    if (s.any) {
      before_present = true;
      before = s.last_value;
    }
  }
  points.assign(total, 0.0);
  weights.assign(total, 0.0);
  for (std::uint32_t t = 0; t < kThreads; ++t) {
    cuda::emit_unique_values(
        histogram.data() + t * kKeys, 1, t * kKeys, kKeys, bf16, table, first_starts[t],
        first_index[t], points.data(), [&](std::uint32_t index, double count, bool started) {
          // The kernel stores a starting share and adds a continuing one: a value must start in
          // exactly one range, before any range that continues it.
          EXPECT_EQ(weights[index] == 0.0, started) << "value " << index << ", range " << t;
          weights[index] += count;
        });
  }
}

TEST(CudaHostDeviceSteps, UniqueValuesMatchTheCpuHistogram) {
  std::vector<float> table(numeric::kHalfPatterns);
  numeric::fill_rounding_table(2, table.data());
  std::mt19937_64 rng(3);
  std::student_t_distribution<float> t(3.0f);
  for (bool bf16 : {false, true}) {
    for (const float* rounding :
         {static_cast<const float*>(nullptr), static_cast<const float*>(table.data())}) {
      cpu::FastModeHistogram cpu_histogram;
      cpu_histogram.begin(300000);
      std::vector<std::uint32_t> histogram(numeric::kPatternKeys, 0);
      for (int i = 0; i < 300000; ++i) {
        const float value = (i % 5 == 0 ? 0.0f : 0.05f) * t(rng) * (i % 3 == 0 ? -1.0f : 1.0f);
        const std::uint16_t pattern =
            bf16 ? numeric::float_to_bf16_bits(value) : numeric::float_to_half_bits(value);
        cpu_histogram.add(pattern);
        ++histogram[numeric::pattern_key(pattern)];
      }
      cpu_histogram.finish();
      std::vector<double> cpu_points;
      std::vector<double> cpu_counts;
      cpu_histogram.collect(
          [&](std::uint16_t pattern) { return numeric::clustered_value(pattern, bf16, rounding); },
          cpu_points, cpu_counts);
      std::vector<double> points;
      std::vector<double> weights;
      device_unique_values(histogram, bf16, rounding, points, weights);
      ASSERT_EQ(points.size(), cpu_points.size());
      for (std::size_t i = 0; i < points.size(); ++i) {
        ASSERT_EQ(bits_of(points[i]), bits_of(cpu_points[i])) << i;
        ASSERT_EQ(weights[i], cpu_counts[i]) << i;
      }
    }
  }
}

// A DeviceRequest holding just the block walk of a CPU layout, as host/cuda/batch_slot.cpp
// fills it.
cuda::DeviceRequest walk_of(const palettize::BlockLayout& layout, std::uint64_t numel) {
  const palettize::BlockRuns& runs = layout.blocks.front();
  cuda::DeviceRequest request{};
  request.numel = numel;
  request.run_length = runs.run_length;
  request.run_stride = runs.run_stride;
  request.run_count = runs.run_count;
  request.period = runs.run_count == 1 ? numel : runs.run_stride;
  return request;
}

TEST(CudaHostDeviceSteps, BlockWalkFollowsTheCpuLayout) {
  const std::vector<std::int64_t> shape{8, 12, 3, 1};  // a conv weight
  for (const Granularity& granularity :
       {Granularity::per_tensor(), Granularity::per_grouped_channel(0, 2),
        Granularity::per_grouped_channel(1, 4), Granularity::per_grouped_channel(1, 3)}) {
    PalettizationSpec spec;
    spec.granularity = granularity;
    const palettize::BlockLayout layout = palettize::plan_scalar_blocks(shape, spec);
    ASSERT_TRUE(layout.skip_reason.empty());
    const std::uint64_t numel = palettize::product(shape.begin(), shape.end());
    const cuda::DeviceRequest request = walk_of(layout, numel);
    std::vector<std::uint64_t> block_of(numel, ~std::uint64_t{0});
    for (std::uint64_t b = 0; b < layout.blocks.size(); ++b) {
      std::uint64_t t = 0;
      layout.blocks[b].for_each([&](std::uint64_t i) {
        ASSERT_EQ(cuda::element_of_block(request, b, t++), i) << "block " << b;
        block_of[i] = b;
      });
    }
    for (std::uint64_t first = 0; first < numel; first += 8) {
      cuda::BlockCursor cursor(request, first);
      for (std::uint64_t i = first; i < first + 8 && i < numel; ++i, cursor.advance())
        ASSERT_EQ(cursor.block(), block_of[i]) << "element " << i;
    }
  }
}

}  // namespace
}  // namespace kmlut
