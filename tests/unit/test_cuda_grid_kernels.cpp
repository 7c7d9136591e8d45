// The CUDA backend's kernel bodies (kernels/bodies/) run on the CPU grid executor, one real thread
// per CUDA thread, against independent paths: the block collectives against sequential sums and
// scans, the grid Cta's leftmost minimum against a sequential scan, the rounding table against
// the CPU's, and whole ragged batches (every dtype, n_bits, granularity, per-channel scale, fast
// mode; chunked and private histograms; DP waves; requests flagged for the CPU) through the host
// orchestration (tests/unit/cpu_grid_batch.hpp) against the CPU backend, byte for byte.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/grid/block_collectives.hpp"
#include "kernels/grid/grid_cta.hpp"
#include "kmlut/numeric/rounding.hpp"
#include "tests/support/cpu_grid.hpp"
#include "tests/unit/cpu_grid_batch.hpp"
#include "tests/unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using testing_support::CpuGridBatch;
using testing_support::CpuThread;
using testing_support::Data;
using testing_support::generate;
using testing_support::make_tensor;
using testing_support::OwnedTensor;
using testing_support::run_grid;

struct Add {
  std::uint64_t operator()(std::uint64_t a, std::uint64_t b) const { return a + b; }
};

TEST(CudaGridKernels, BlockReduceAndScanMatchSequentialOnes) {
  constexpr unsigned kThreads = 64;
  constexpr unsigned kBlocks = 3;
  std::mt19937_64 rng(5);
  std::vector<std::uint64_t> values(kThreads * kBlocks);
  for (std::uint64_t& value : values)
    value = rng() >> 20;
  std::vector<std::uint64_t> sums(kBlocks), before(values.size()), totals(values.size());
  struct Shared {  // separate scratch: the scan must not rely on what the reduction left
    cuda::ReduceScratch<kThreads, std::uint64_t> reduce;
    cuda::ScanScratch<kThreads, std::uint64_t> scan;
  };
  run_grid<Shared>(kBlocks, kThreads, [&](const CpuThread& at, Shared& shared) {
    const std::size_t i = at.block() * kThreads + at.thread();
    const std::uint64_t sum = cuda::block_reduce<kThreads>(at, values[i], Add{}, shared.reduce);
    const cuda::ScanResult<std::uint64_t> scan =
        cuda::block_exclusive_scan<kThreads>(at, values[i], std::uint64_t{0}, Add{}, shared.scan);
    if (at.thread() == 0)
      sums[at.block()] = sum;
    before[i] = scan.before;
    totals[i] = scan.total;
  });
  for (unsigned b = 0; b < kBlocks; ++b) {
    const auto first = values.begin() + b * kThreads;
    const std::uint64_t expected = std::accumulate(first, first + kThreads, std::uint64_t{0});
    EXPECT_EQ(sums[b], expected);
    std::uint64_t running = 0;
    for (unsigned t = 0; t < kThreads; ++t) {
      ASSERT_EQ(before[b * kThreads + t], running) << b << "/" << t;
      ASSERT_EQ(totals[b * kThreads + t], expected);
      running += values[b * kThreads + t];
    }
  }
}

TEST(CudaGridKernels, CtaLeftmostMinimumIsTheSequentialOne) {
  constexpr unsigned kThreads = 32;
  using Index = numeric::dp::Index;
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> small(0, 3);  // many ties
  for (int round = 0; round < 20; ++round) {
    std::vector<double> values(kThreads);
    std::vector<Index> columns(kThreads);
    for (unsigned t = 0; t < kThreads; ++t) {
      values[t] = small(rng);
      columns[t] =
          t % 5 == 4 ? std::numeric_limits<Index>::max() : static_cast<Index>(rng() % 1000);
    }
    Index expected = columns[0];
    double best = values[0];
    for (unsigned t = 1; t < kThreads; ++t) {
      if (values[t] < best || (values[t] == best && columns[t] < expected)) {
        best = values[t];
        expected = columns[t];
      }
    }
    std::vector<Index> got(kThreads);
    run_grid<cuda::CtaShared<kThreads>>(
        1, kThreads, [&](const CpuThread& at, cuda::CtaShared<kThreads>& shared) {
          cuda::GridCta<kThreads, CpuThread> cta(at, shared);
          got[at.thread()] = cta.leftmost_min(values[at.thread()], columns[at.thread()]);
        });
    for (unsigned t = 0; t < kThreads; ++t)
      ASSERT_EQ(got[t], expected) << "round " << round << " lane " << t;
  }
}

TEST(CudaGridKernels, RoundingTableIsTheCpusBitForBit) {
  for (int precision : {0, 4}) {
    const std::vector<float> cpu = testing_support::cpu_rounding_table(precision);
    const std::vector<float> grid = testing_support::grid_rounding_table(precision);
    ASSERT_EQ(std::memcmp(grid.data(), cpu.data(), cpu.size() * sizeof(float)), 0) << precision;
  }
}

struct Case {
  OwnedTensor weight;
  PalettizeRequest request;
};

// A ragged batch: every n_bits and granularity, with and without scale, cycling through dtypes,
// data and fast mode, in shapes of different sizes.
std::vector<Case> ragged_cases() {
  const DType dtypes[] = {DType::F16, DType::BF16, DType::F32, DType::F64};
  const Data kinds[] = {Data::HeavyTailed, Data::Mixture,   Data::Duplicates,
                        Data::Constant,    Data::TwoValues, Data::FewDistinct};
  const Granularity granularities[] = {Granularity::per_tensor(),
                                       Granularity::per_grouped_channel(0, 8),
                                       Granularity::per_grouped_channel(1, 16)};
  const std::int64_t shapes[][2] = {{16, 48}, {40, 32}, {8, 80}, {24, 16}};
  std::vector<Case> cases;
  unsigned seed = 1;
  for (int n_bits : {1, 2, 3, 4, 6, 8}) {
    for (const Granularity& granularity : granularities) {
      const bool scale = seed % 2 == 0;
      Case c;
      const DType dtype = dtypes[seed % 4];
      const std::int64_t rows = shapes[seed % 4][0];
      const std::int64_t cols = shapes[seed % 4][1];
      c.weight =
          make_tensor(dtype, {rows, cols},
                      generate(kinds[seed % 6], static_cast<std::size_t>(rows * cols), seed));
      c.request.name = "case" + std::to_string(seed);
      c.request.spec.n_bits = n_bits;
      c.request.spec.granularity = granularity;
      c.request.spec.enable_per_channel_scale = scale;
      // F16 also without fast mode (unrounded unique values); other dtypes need it on the device.
      c.request.enable_fast_kmeans_mode = dtype != DType::F16 || seed % 3 != 0;
      c.request.rounding_precision = 2 + static_cast<int>(seed % 4);
      cases.push_back(std::move(c));
      ++seed;
    }
  }
  return cases;
}

// One large per-tensor F16 request: two histogram chunks, both counting privately in shared
// memory, one with a short tail chunk that counts straight to device memory.
Case large_case(std::int64_t rows, std::int64_t cols, int n_bits, unsigned seed) {
  Case c;
  c.weight = make_tensor(DType::F16, {rows, cols},
                         generate(Data::HeavyTailed, static_cast<std::size_t>(rows * cols), seed));
  c.request.name = "large" + std::to_string(seed);
  c.request.spec.n_bits = n_bits;
  c.request.enable_fast_kmeans_mode = true;
  c.request.rounding_precision = 3;
  return c;
}

std::vector<PalettizeRequest> requests_of(std::vector<Case>& cases) {
  std::vector<PalettizeRequest> requests;
  for (Case& c : cases) {
    c.request.weight = c.weight.view();
    EXPECT_EQ(cuda::device_path_gap(c.request), "") << c.request.name;
    requests.push_back(c.request);
  }
  return requests;
}

void expect_identical(const PalettizeResult& grid, const PalettizeResult& cpu,
                      const PalettizeRequest& request) {
  const std::string label = request.name + " (" + std::string(dtype_name(request.weight.dtype)) +
                            ", " + std::to_string(request.spec.n_bits) + " bits" +
                            (request.spec.enable_per_channel_scale ? ", scale" : "") +
                            (request.enable_fast_kmeans_mode ? ", fast" : "") + ")";
  ASSERT_TRUE(grid.palettized) << label;
  ASSERT_TRUE(cpu.palettized) << label << ": " << cpu.skip_reason;
  EXPECT_EQ(grid.lut_dtype, cpu.lut_dtype) << label;
  EXPECT_EQ(grid.lut_shape, cpu.lut_shape) << label;
  EXPECT_EQ(grid.num_luts, cpu.num_luts) << label;
  EXPECT_EQ(grid.lut, cpu.lut) << label << ": LUT bytes";
  EXPECT_EQ(grid.index_shape, cpu.index_shape) << label;
  EXPECT_EQ(grid.indices, cpu.indices) << label << ": indices";
  EXPECT_EQ(grid.packed_indices, cpu.packed_indices) << label << ": packed indices";
  EXPECT_EQ(grid.scale_shape, cpu.scale_shape) << label;
  EXPECT_EQ(grid.scale, cpu.scale) << label << ": scale bytes";
  EXPECT_EQ(grid.unique_path_blocks, cpu.unique_path_blocks) << label;
  // The same terms summed in another order: equal to the last few bits.
  EXPECT_NEAR(grid.sse, cpu.sse, 1e-12 * cpu.sse + 1e-300) << label << ": SSE";
  EXPECT_NEAR(grid.weight_sq_norm, cpu.weight_sq_norm, 1e-12 * cpu.weight_sq_norm) << label;
}

void expect_grid_matches_cpu(std::vector<Case>& cases, std::size_t dp_region_bytes,
                             std::size_t expected_waves_at_least, bool one_pass = false,
                             unsigned exact_dp_threads = cuda::kExactDpThreads) {
  const std::vector<PalettizeRequest> requests = requests_of(cases);
  const std::vector<PalettizeResult> cpu = make_cpu_backend(1)->run_batch(requests);
  CpuGridBatch batch(exact_dp_threads);
  const testing_support::GridBatchResult grid = batch.run(requests, dp_region_bytes, one_pass);
  EXPECT_TRUE(grid.for_cpu.empty());
  EXPECT_GE(grid.dp_waves, expected_waves_at_least);
  for (std::size_t i = 0; i < requests.size(); ++i)
    expect_identical(grid.results[i], cpu[i], requests[i]);
}

TEST(CudaGridKernels, RaggedBatchMatchesTheCpuBackend) {
  std::vector<Case> cases = ragged_cases();
  expect_grid_matches_cpu(cases, 0, 1);
}

TEST(CudaGridKernels, SmallDpRegionClustersInWavesAndStillMatches) {
  // Unrounded fp16 blocks of nearly distinct values: each problem's workspace is close to the
  // largest possible one, which is all the room the DP region gets.
  std::vector<Case> cases(3);
  for (unsigned i = 0; i < cases.size(); ++i) {
    cases[i].weight =
        make_tensor(DType::F16, {16, 48}, generate(Data::HeavyTailed, 16 * 48, 40 + i));
    cases[i].request.name = "distinct" + std::to_string(i);
    cases[i].request.spec.n_bits = 2 + 2 * static_cast<int>(i);
    cases[i].request.spec.granularity = Granularity::per_grouped_channel(0, 4);
  }
  expect_grid_matches_cpu(cases, 1, 3);
}

TEST(CudaGridKernels, ChunkedPrivateHistogramsMatchTheCpuBackend) {
  std::vector<Case> cases;
  cases.push_back(large_case(256, 300, 4, 21));  // 76,800 elements: 65,528 + 11,272
  cases.push_back(large_case(128, 160, 3, 22));  // 20,480: one private chunk
  expect_grid_matches_cpu(cases, 0, 1);
}

TEST(CudaGridKernels, SecondPhasesPlannedBeforeTheFirstMatchTheCpuBackend) {
  std::vector<Case> cases = ragged_cases();
  cases.resize(9);
  expect_grid_matches_cpu(cases, 0, 1, /*one_pass=*/true);
}

// The DP kernel's smaller blocks: teams of lanes on the coarse levels of each layer come out
// smaller, rows per lane more, and the decisions, LUTs and indices stay the CPU's.
TEST(CudaGridKernels, DpBlocksOf32And64ThreadsMatchTheCpuBackend) {
  for (const unsigned threads : {32u, 64u}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    std::vector<Case> cases = ragged_cases();
    cases.push_back(large_case(128, 160, 4, 23));
    expect_grid_matches_cpu(cases, 0, 1, false, threads);
  }
}

class FlaggedRequests : public testing::TestWithParam<bool> {};

// Flagged requests are left out of a plan made after the first phases, and skipped on the device
// by one made before them (GetParam()).
TEST_P(FlaggedRequests, NonFiniteAndOutOfRangeRequestsAreFlaggedForTheCpu) {
  std::vector<Case> cases = ragged_cases();
  cases.resize(4);
  std::vector<double> values = generate(Data::HeavyTailed, 32 * 16, 3);
  values[77] = std::numeric_limits<double>::quiet_NaN();
  Case nan_case;
  nan_case.weight = make_tensor(DType::F32, {32, 16}, values);
  nan_case.request.name = "nan";
  nan_case.request.enable_fast_kmeans_mode = true;
  values[77] = 1e6;  // beyond fp16's range, fast mode
  Case wide_case;
  wide_case.weight = make_tensor(DType::F32, {32, 16}, values);
  wide_case.request.name = "wide";
  wide_case.request.enable_fast_kmeans_mode = true;
  wide_case.request.spec.granularity = Granularity::per_grouped_channel(0, 8);
  cases.insert(cases.begin() + 1, std::move(nan_case));
  cases.push_back(std::move(wide_case));
  const std::vector<PalettizeRequest> requests = requests_of(cases);
  CpuGridBatch batch;
  const testing_support::GridBatchResult grid = batch.run(requests, 0, GetParam());
  EXPECT_EQ(grid.for_cpu, (std::vector<std::size_t>{1, 5}));
  const std::vector<PalettizeResult> cpu = make_cpu_backend(1)->run_batch(requests);
  for (std::size_t i : {0, 2, 3, 4})
    expect_identical(grid.results[i], cpu[i], requests[i]);
}

INSTANTIATE_TEST_SUITE_P(CudaGridKernels, FlaggedRequests, testing::Bool());

}  // namespace
}  // namespace kmlut
