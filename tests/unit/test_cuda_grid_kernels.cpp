// The CUDA backend's kernel bodies (kernels/bodies/) run on the CPU grid executor, one real thread
// per CUDA thread, against independent paths: the block collectives against sequential sums and
// scans, the grid Cta's leftmost minimum against a sequential scan, the rounding table against
// the CPU's, and whole ragged batches (every dtype, n_bits, granularity, per-channel scale, fast
// mode; chunked and private histograms; DP waves; requests flagged for the CPU) through the host
// orchestration (tests/unit/cpu_grid_batch.hpp) against the CPU backend, byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/grid/block_collectives.hpp"
#include "kernels/grid/grid_cta.hpp"
#include "kmlut/numeric/rounding.hpp"
#include "tests/support/cpu_grid.hpp"
#include "tests/unit/cpu_grid_batch.hpp"
#include "tests/unit/same_result.hpp"
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

// One large per-tensor F16 request: one or two histogram chunks, each long enough to count
// privately in shared memory (the ragged cases' small blocks count straight to device memory).
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
  const std::string label = testing_support::request_label(request);
  ASSERT_TRUE(cpu.palettized) << label << ": " << cpu.skip_reason;
  testing_support::expect_same_result(grid, cpu, label);
}

void expect_requests_match_cpu(const std::vector<PalettizeRequest>& requests,
                               std::size_t dp_region_bytes, std::size_t expected_waves_at_least,
                               bool one_pass, unsigned exact_dp_threads = cuda::kExactDpThreads) {
  const std::vector<PalettizeResult> cpu = make_cpu_backend(1)->run_batch(requests);
  CpuGridBatch batch(exact_dp_threads);
  const testing_support::GridBatchResult grid = batch.run(requests, dp_region_bytes, one_pass);
  EXPECT_TRUE(grid.for_cpu.empty());
  EXPECT_GE(grid.dp_waves, expected_waves_at_least);
  for (std::size_t i = 0; i < requests.size(); ++i)
    expect_identical(grid.results[i], cpu[i], requests[i]);
}

void expect_grid_matches_cpu(std::vector<Case>& cases, std::size_t dp_region_bytes,
                             std::size_t expected_waves_at_least, bool one_pass = false,
                             unsigned exact_dp_threads = cuda::kExactDpThreads) {
  expect_requests_match_cpu(requests_of(cases), dp_region_bytes, expected_waves_at_least, one_pass,
                            exact_dp_threads);
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

// A chunk's private counters cover only its most frequent high bytes (kernels/bodies/
// histogram_body.hpp): a first chunk of one value only (65,528 counts of one key, near a 16-bit
// counter's limit), then chunks where two thirds of the elements share one value and the rest
// spread over nearly every high byte, so that many keys go straight to device memory. Both
// per tensor and in blocks whose chunks are too short to count privately.
Case skewed_wide_case(DType dtype, Granularity granularity, unsigned seed) {
  constexpr std::int64_t kRows = 512;
  constexpr std::int64_t kCols = 300;  // 153,600 elements: 65,528 + 65,528 + 22,544 per tensor
  std::mt19937 generator(seed);
  std::uniform_real_distribution<double> exponent(-13.0, 15.0);  // within fp16's normal range
  std::vector<double> values(static_cast<std::size_t>(kRows * kCols));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double wide = (i % 2 == 0 ? 1.0 : -1.0) * std::exp2(exponent(generator));
    values[i] = i < cuda::kHistogramChunkElements || i % 3 != 0 ? 0.375 : wide;
  }
  Case c;
  c.weight = make_tensor(dtype, {kRows, kCols}, values);
  c.request.name = "skewed" + std::to_string(seed);
  c.request.spec.n_bits = 4;
  c.request.spec.granularity = granularity;
  c.request.enable_fast_kmeans_mode = true;
  c.request.rounding_precision = 3;
  return c;
}

TEST(CudaGridKernels, SkewedAndWideHistogramsMatchTheCpuBackend) {
  std::vector<Case> cases;
  cases.push_back(skewed_wide_case(DType::F16, Granularity::per_tensor(), 31));
  cases.push_back(skewed_wide_case(DType::BF16, Granularity::per_tensor(), 32));
  cases.push_back(skewed_wide_case(DType::F32, Granularity::per_grouped_channel(0, 16), 33));
  cases.push_back(skewed_wide_case(DType::F16, Granularity::per_grouped_channel(0, 64), 34));
  expect_grid_matches_cpu(cases, 0, 1);
}

TEST(CudaGridKernels, SecondPhasesPlannedBeforeTheFirstMatchTheCpuBackend) {
  std::vector<Case> cases = ragged_cases();
  cases.resize(9);
  expect_grid_matches_cpu(cases, 0, 1, /*one_pass=*/true);
}

// LUT quantization after the DP: every dtype, n_bits, granularity and scale of the ragged batch,
// with the four lut_qspec kinds in turn (codes, scales and zero points byte for byte; the error
// measured against the dequantized LUT).
TEST(CudaGridKernels, QuantizedLutsMatchTheCpuBackend) {
  std::vector<Case> cases = ragged_cases();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    LutQSpec qspec;
    qspec.dtype = i % 2 == 0 ? LutDType::Int8 : LutDType::UInt8;
    qspec.qscheme = i % 4 < 2 ? QScheme::Symmetric : QScheme::Asymmetric;
    cases[i].request.spec.lut_qspec = qspec;
  }
  expect_grid_matches_cpu(cases, 0, 1);
  for (Case& c : cases)  // the wave path too: the quantization follows every wave
    c.request.spec.n_bits = std::min(c.request.spec.n_bits, 4);
  expect_grid_matches_cpu(cases, 1, 2);
}

// Sensitivities in F32, F16 and BF16 over a wide range, with zeros among them (the normalization
// replaces them), for the ragged batch's requests: each unique value's weight is the sum of its
// elements' sensitivities in element order, as on the CPU. Half the requests quantize their LUTs.
std::vector<OwnedTensor> add_sensitivities(std::vector<Case>& cases,
                                           std::vector<PalettizeRequest>& requests) {
  const DType dtypes[] = {DType::F32, DType::F16, DType::BF16};
  std::vector<OwnedTensor> sensitivities;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::vector<std::int64_t>& shape = cases[i].weight.shape;
    const std::size_t count = static_cast<std::size_t>(shape[0] * shape[1]);
    std::vector<double> values = generate(Data::HeavyTailed, count, 300 + static_cast<unsigned>(i));
    for (std::size_t e = 0; e < count; ++e)
      values[e] = e % 7 == 3 ? 0.0 : std::ldexp(std::fabs(values[e]), -static_cast<int>(e % 40));
    sensitivities.push_back(make_tensor(dtypes[i % 3], shape, values));
    requests[i].sensitivity = sensitivities.back().view();
    if (i % 2 == 1)
      requests[i].spec.lut_qspec = LutQSpec{};
  }
  return sensitivities;
}

TEST(CudaGridKernels, SensitivityWeightedBatchMatchesTheCpuBackend) {
  std::vector<Case> cases = ragged_cases();
  std::vector<PalettizeRequest> requests = requests_of(cases);
  const std::vector<OwnedTensor> sensitivities = add_sensitivities(cases, requests);
  for (const PalettizeRequest& request : requests)
    ASSERT_EQ(cuda::device_path_gap(request), "") << request.name;
  expect_requests_match_cpu(requests, 0, 1, /*one_pass=*/false);
}

// The sensitivity phase alone, on grouped blocks (runs of 16 elements every 64) of few distinct
// values: each value's weight must be the sum of its elements' sensitivities in element order,
// to the bit. The sensitivities span 2^-60..1, so sums round and their order shows (checked).
TEST(CudaGridKernels, SensitivitySumsAreInElementOrderToTheBit) {
  constexpr std::uint64_t kRunLength = 16, kRunStride = 64, kRunCount = 96, kBlocks = 4;
  constexpr std::uint64_t kElements = kRunLength * kRunCount;  // per block: 6 tiles
  std::mt19937 rng(17);
  std::vector<float> values(kRunStride * kRunCount), sensitivity(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = 0.125f * static_cast<float>(rng() % 9) - 0.5f;
    sensitivity[i] =
        std::ldexp(static_cast<float>(1 + rng() % 255) / 256.0f, -static_cast<int>(rng() % 61));
  }
  const auto element = [&](std::uint64_t block, std::uint64_t t) {
    return block * kRunLength + t / kRunLength * kRunStride + t % kRunLength;
  };
  std::uint32_t status = 0;
  cuda::DeviceRequest request{};
  request.dtype = static_cast<std::uint8_t>(DType::F32);
  request.values = values.data();
  request.numel = values.size();
  request.run_length = kRunLength;
  request.run_stride = kRunStride;
  request.run_count = kRunCount;
  request.period = kRunStride;
  request.status = &status;
  request.sensitivity = sensitivity.data();
  std::vector<float> by_value(kBlocks * kElements);
  std::vector<std::uint64_t> cursors(kBlocks * kElements);
  request.sensitivity_by_value = by_value.data();
  request.value_cursors = cursors.data();
  // Each block's unique values, counts (as the unique-points phase leaves them) and the sums.
  std::vector<std::vector<double>> points(kBlocks), weights(kBlocks), expected(kBlocks);
  std::vector<std::uint32_t> counts(kBlocks);
  std::vector<cuda::DeviceProblem> problems(kBlocks);
  bool order_shows = false;
  for (std::uint64_t b = 0; b < kBlocks; ++b) {
    std::map<double, std::pair<double, double>> sums;  // value -> (count, sum in element order)
    for (std::uint64_t t = 0; t < kElements; ++t) {
      std::pair<double, double>& sum = sums[values[element(b, t)]];
      sum.first += 1.0;
      sum.second += double{sensitivity[element(b, t)]};
    }
    for (const auto& [value, sum] : sums) {
      points[b].push_back(value);
      weights[b].push_back(sum.first);
      expected[b].push_back(sum.second);
      double reversed = 0.0;
      for (std::uint64_t t = kElements; t-- > 0;) {
        if (values[element(b, t)] == value)
          reversed += double{sensitivity[element(b, t)]};
      }
      order_shows = order_shows || reversed != sum.second;
    }
    counts[b] = static_cast<std::uint32_t>(points[b].size());
    problems[b].block = static_cast<std::uint32_t>(b);
    problems[b].points = points[b].data();
    problems[b].point_weights = weights[b].data();
    problems[b].point_count = &counts[b];
  }
  ASSERT_TRUE(order_shows) << "the data cannot tell the summation order";
  run_grid<cuda::SensitivityShared>(
      kBlocks, cuda::kSensitivityThreads, [&](const CpuThread& at, cuda::SensitivityShared& s) {
        cuda::sensitivity_weights_body(at, &request, problems.data(), s);
      });
  for (std::uint64_t b = 0; b < kBlocks; ++b) {
    for (std::size_t v = 0; v < points[b].size(); ++v)
      ASSERT_EQ(weights[b][v], expected[b][v]) << "block " << b << " value " << points[b][v];
  }
}

TEST(CudaGridKernels, UnusableSensitivitiesGoToTheCpuBackend) {
  std::vector<Case> cases = ragged_cases();
  cases.resize(2);
  std::vector<PalettizeRequest> requests = requests_of(cases);
  const std::vector<std::int64_t>& shape = cases[0].weight.shape;
  std::vector<double> values(static_cast<std::size_t>(shape[0] * shape[1]), 1.0);
  values[5] = -1.0;
  const OwnedTensor negative = make_tensor(DType::F32, shape, values);
  const OwnedTensor misshapen = make_tensor(DType::F32, {1, 2}, {1.0, 2.0});
  requests[0].sensitivity = negative.view();
  requests[1].sensitivity = misshapen.view();
  EXPECT_NE(cuda::device_path_gap(requests[0]), "");
  EXPECT_NE(cuda::device_path_gap(requests[1]), "");
}

// The all-values path (BF16, F32, F64 without fast mode): the ragged batch's shapes, n_bits,
// granularities and data, every value a point; one F32 value beyond fp16's range (no fast mode:
// still the device's); some with sensitivities (weights summed in sorted order) or lut_qspec.
TEST(CudaGridKernels, AllValuesBatchMatchesTheCpuBackend) {
  std::vector<Case> cases = ragged_cases();
  const DType dtypes[] = {DType::BF16, DType::F32, DType::F64};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    OwnedTensor& weight = cases[i].weight;
    std::vector<double> values = generate(
        static_cast<Data>(i % 6), static_cast<std::size_t>(weight.shape[0] * weight.shape[1]),
        500 + static_cast<unsigned>(i));
    if (i == 4)
      values[7] = 1.0e6;
    if (i % 5 == 2)
      values[3] = -0.0;  // keyed as +0
    weight = make_tensor(dtypes[i % 3], weight.shape, values);
    cases[i].request.enable_fast_kmeans_mode = false;
    if (i % 4 == 3)
      cases[i].request.spec.lut_qspec = LutQSpec{LutDType::UInt8, QScheme::Asymmetric};
  }
  std::vector<PalettizeRequest> requests = requests_of(cases);
  const std::vector<OwnedTensor> sensitivities = add_sensitivities(cases, requests);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (i % 3 != 1)
      requests[i].sensitivity = {};
    ASSERT_EQ(cuda::device_path_gap(requests[i]), "") << requests[i].name;
  }
  expect_requests_match_cpu(requests, 0, 1, /*one_pass=*/true);
}

// A block of more than 65,536 distinct values is more than the device DP takes: the all-values
// phase flags it for the CPU backend, and the batch's other request still matches.
TEST(CudaGridKernels, AllValuesBlockBeyondTheDpsPointsGoesToTheCpu) {
  std::vector<Case> cases(2);
  std::vector<double> values(260 * 256);
  for (std::size_t i = 0; i < values.size(); ++i)  // distinct float32 values
    values[i] = (static_cast<double>(i) - 30000.0) * 1.0e-3;
  cases[0].weight = make_tensor(DType::F32, {260, 256}, values);
  cases[1].weight = make_tensor(DType::BF16, {16, 48}, generate(Data::Mixture, 16 * 48, 61));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    cases[i].request.name = "all-values" + std::to_string(i);
    cases[i].request.enable_fast_kmeans_mode = false;
  }
  const std::vector<PalettizeRequest> requests = requests_of(cases);
  CpuGridBatch batch;
  const testing_support::GridBatchResult grid = batch.run(requests, 0, /*one_pass=*/true);
  EXPECT_EQ(grid.for_cpu, (std::vector<std::size_t>{0}));
  const std::vector<PalettizeResult> cpu = make_cpu_backend(1)->run_batch(requests);
  expect_identical(grid.results[1], cpu[1], requests[1]);
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
