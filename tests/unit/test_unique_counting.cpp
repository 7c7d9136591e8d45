// The two ways the scalar clusterer counts a block's 16-bit patterns — sorting the keys (small
// blocks) or 65,536 bins (large ones) — give byte-identical LUTs, indices and errors on the same
// blocks, with sensitivities too; and the all-values path's radix sort orders float32 values as
// std::stable_sort does, signed zeros and ties included. (Each path's agreement with kmeans1d and
// coreai_opt is the oracle tests', which reach both through the block size.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "host/backends/cpu/float_radix_sort.hpp"
#include "host/backends/cpu/scalar_block_clusterer.hpp"
#include "kmlut/numeric/rounding.hpp"
#include "unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using cpu::FastModeHistogram;

// Heavy-tailed values with exact repeats and both zeros, as trained weights have.
std::vector<double> block_values(std::size_t count, unsigned seed) {
  std::vector<double> values = testing_support::student_t(count, seed);
  std::mt19937 generator(seed + 1);
  std::uniform_int_distribution<std::size_t> pick(0, count - 1);
  for (std::size_t i = 0; i < count / 10; ++i)
    values[pick(generator)] = (i % 2 == 0) ? 0.0 : -0.0;
  for (std::size_t i = 0; i < count / 10; ++i)
    values[pick(generator)] = values[pick(generator)];
  return values;
}

struct Clustered {
  std::vector<std::uint8_t> lut;
  std::vector<std::uint8_t> indices;
  cpu::ScalarBlockOutcome outcome;
};

Clustered cluster_with(FastModeHistogram::Counting counting, const testing_support::OwnedTensor& w,
                       const float* sensitivity, bool fast_mode, int n_bits,
                       const float* rounding_table) {
  const std::size_t n = w.bytes.size() / testing_support::element_bytes(w.dtype);
  Clustered out;
  out.lut.resize((std::size_t{1} << n_bits) * testing_support::element_bytes(w.dtype));
  out.indices.resize(n);
  cpu::ScalarBlockTask task;
  task.dtype = w.dtype;
  task.values = w.bytes.data();
  task.sensitivity = sensitivity;
  task.block = {0, n, 1, n};
  task.n_bits = n_bits;
  task.fast_mode = fast_mode;
  task.rounding_table = fast_mode ? rounding_table : nullptr;
  task.indices = out.indices.data();
  task.lut = out.lut.data();
  cpu::ScalarBlockClusterer clusterer(counting);
  // Twice on the same clusterer: the second block starts from the first one's reused buffers.
  clusterer.cluster(task);
  out.outcome = clusterer.cluster(task);
  return out;
}

std::uint64_t bits_of(double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

TEST(UniqueCounting, SortingAndBinsGiveTheSameBytes) {
  std::vector<float> table(numeric::kHalfPatterns);
  numeric::fill_rounding_table(4, table.data());
  unsigned seed = 0;
  for (const std::size_t n :
       {std::size_t{1}, std::size_t{5}, std::size_t{300}, std::size_t{6144}, std::size_t{40000}}) {
    for (const DType dtype : {DType::F16, DType::BF16, DType::F32}) {
      for (const bool fast_mode : {true, false}) {
        for (const bool weighted : {false, true}) {
          const auto w = testing_support::make_tensor(dtype, {static_cast<std::int64_t>(n)},
                                                      block_values(n, ++seed));
          std::vector<float> sensitivity(n);
          std::mt19937 generator(seed);
          std::uniform_real_distribution<float> uniform(1e-6f, 1.0f);
          for (float& s : sensitivity)
            s = uniform(generator);
          const float* s = weighted ? sensitivity.data() : nullptr;
          for (const int n_bits : {2, 4}) {
            const Clustered sorted = cluster_with(FastModeHistogram::Counting::Sort, w, s,
                                                  fast_mode, n_bits, table.data());
            const Clustered binned = cluster_with(FastModeHistogram::Counting::Bins, w, s,
                                                  fast_mode, n_bits, table.data());
            SCOPED_TRACE(testing::Message()
                         << "n " << n << " dtype " << dtype_name(dtype) << " fast " << fast_mode
                         << " weighted " << weighted << " bits " << n_bits);
            EXPECT_EQ(sorted.outcome.unique_path, binned.outcome.unique_path);
            EXPECT_EQ(sorted.lut, binned.lut);
            EXPECT_EQ(sorted.indices, binned.indices);
            EXPECT_EQ(bits_of(sorted.outcome.sse), bits_of(binned.outcome.sse));
            EXPECT_EQ(bits_of(sorted.outcome.sq_norm), bits_of(binned.outcome.sq_norm));
          }
        }
      }
    }
  }
}

TEST(UniqueCounting, RadixSortOrdersFloatsAsStableSortDoes) {
  std::mt19937 generator(3);
  std::vector<float> values = {0.0f,
                               -0.0f,
                               1.0f,
                               -1.0f,
                               std::numeric_limits<float>::denorm_min(),
                               -std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::lowest(),
                               -0.0f,
                               0.0f};
  std::student_t_distribution<float> t(4.0f);
  for (int i = 0; i < 50000; ++i)
    values.push_back(i % 7 == 0 ? values[static_cast<std::size_t>(i) % values.size()]
                                : t(generator) * 0.02f);
  // The weight carries each value's element index, so the order of equal values shows.
  std::vector<cpu::KeyedWeight> items;
  for (std::size_t i = 0; i < values.size(); ++i)
    items.push_back({cpu::float_sort_key(values[i]), static_cast<float>(i)});
  std::vector<cpu::KeyedWeight> scratch;
  cpu::radix_sort_by_key<3>(items, scratch);

  std::vector<std::size_t> order(values.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  ASSERT_EQ(items.size(), order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    ASSERT_EQ(static_cast<std::size_t>(items[i].weight), order[i]) << i;
    const float value = values[order[i]];
    ASSERT_EQ(cpu::float_of_sort_key(items[i].key), value == 0.0f ? 0.0f : value) << i;
  }
}

}  // namespace
}  // namespace kmlut
