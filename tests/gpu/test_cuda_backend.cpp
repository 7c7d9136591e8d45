// The CUDA backend against the CPU backend: on the scalar path the LUTs, indices, packed indices
// and scales must be byte-identical for every n_bits, granularity, dtype and per-channel scale,
// many tensors per batch, across batch boundaries and DP waves; requests the device does not
// cover must come back exactly as the CPU gives them. Skipped without a device (require_gpu.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "host/backends/cuda/cuda_backend.hpp"
#include "host/backends/probe/parity_probe.hpp"
#include "kernels/cuda_api.hpp"
#include "kmlut/error.hpp"
#include "tests/gpu/require_gpu.hpp"
#include "tests/unit/same_result.hpp"
#include "tests/unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using testing_support::CudaTest;
using testing_support::Data;
using testing_support::generate;
using testing_support::make_tensor;
using testing_support::OwnedTensor;

struct Case {
  OwnedTensor weight;
  PalettizeRequest request;
};

// Every n_bits × granularity × per-channel scale, cycling through dtypes, fast mode and data.
std::vector<Case> parity_cases(std::int64_t rows, std::int64_t cols) {
  const DType dtypes[] = {DType::F16, DType::BF16, DType::F32, DType::F64};
  const Data kinds[] = {Data::HeavyTailed, Data::Mixture, Data::Duplicates, Data::Constant,
                        Data::TwoValues};
  const Granularity granularities[] = {Granularity::per_tensor(),
                                       Granularity::per_grouped_channel(0, 16),
                                       Granularity::per_grouped_channel(1, 16)};
  std::vector<Case> cases;
  unsigned seed = 1;
  for (int n_bits : {1, 2, 3, 4, 6, 8}) {
    for (const Granularity& granularity : granularities) {
      for (bool scale : {false, true}) {
        Case c;
        const DType dtype = dtypes[seed % 4];
        c.weight =
            make_tensor(dtype, {rows, cols},
                        generate(kinds[seed % 5], static_cast<std::size_t>(rows * cols), seed));
        c.request.name = "case" + std::to_string(seed);
        c.request.weight = c.weight.view();
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
  }
  return cases;
}

std::vector<PalettizeRequest> requests_of(const std::vector<Case>& cases) {
  std::vector<PalettizeRequest> requests;
  for (const Case& c : cases)
    requests.push_back(c.request);
  return requests;
}

void expect_backends_agree(Backend& gpu, const std::vector<Case>& cases) {
  const std::vector<PalettizeRequest> requests = requests_of(cases);
  const std::vector<PalettizeResult> expected = make_cpu_backend()->run_batch(requests);
  const std::vector<PalettizeResult> got = gpu.run_batch(requests);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    testing_support::expect_same_result(got[i], expected[i],
                                        testing_support::request_label(requests[i]));
  }
}

TEST_F(CudaTest, SmallTensorsInOneBatchMatchTheCpu) {
  const auto backend = cuda::make_cuda_backend();
  expect_backends_agree(*backend, parity_cases(64, 48));
}

TEST_F(CudaTest, QuarterMillionElementTensorsMatchTheCpu) {
  const auto backend = cuda::make_cuda_backend();
  expect_backends_agree(*backend, parity_cases(512, 512));
}

TEST_F(CudaTest, MillionElementPerTensorFp16MatchesTheCpu) {
  std::vector<Case> cases(2);
  for (int i = 0; i < 2; ++i) {
    cases[i].weight =
        make_tensor(DType::F16, {1024, 1024}, generate(Data::HeavyTailed, 1024 * 1024, 100 + i));
    cases[i].request.name = "million" + std::to_string(i);
    cases[i].request.weight = cases[i].weight.view();
    cases[i].request.spec.n_bits = i == 0 ? 4 : 8;
    cases[i].request.enable_fast_kmeans_mode = i == 0;  // unrounded: tens of thousands of points
  }
  const auto backend = cuda::make_cuda_backend();
  expect_backends_agree(*backend, cases);
}

TEST_F(CudaTest, SmallBudgetSplitsBatchesAndWavesAndStillMatches) {
  cuda::CudaBackendOptions options;
  options.device_memory_bytes = std::size_t{96} << 20;  // a few tensors per batch
  const auto backend = cuda::make_cuda_backend(options);
  expect_backends_agree(*backend, parity_cases(256, 128));
}

TEST_F(CudaTest, RequestsOffTheDevicePathComeBackAsTheCpuGivesThem) {
  std::vector<Case> cases(8);
  std::vector<double> values = generate(Data::HeavyTailed, 64 * 32, 7);
  cases[0].weight = make_tensor(DType::F16, {64, 32}, values);
  values[100] = std::numeric_limits<double>::quiet_NaN();
  cases[1].weight = make_tensor(DType::F16, {64, 32}, values);  // non-finite: stays dense
  values[100] = 1e6;                                            // beyond fp16: all values
  cases[2].weight = make_tensor(DType::F32, {64, 32}, values);
  cases[3].weight = make_tensor(DType::BF16, {64, 32}, generate(Data::Mixture, 64 * 32, 8));
  cases[3].request.enable_fast_kmeans_mode = false;  // all values (on the device since issue 17)
  cases[4].weight = make_tensor(DType::F16, {64, 30}, generate(Data::Mixture, 64 * 30, 9));
  cases[4].request.spec.granularity = Granularity::per_grouped_channel(1, 16);  // does not divide
  cases[5].weight = make_tensor(DType::F16, {64, 32}, generate(Data::HeavyTailed, 64 * 32, 10));
  cases[5].request.spec.cluster_dim = 2;  // vector palettization
  cases[5].request.enable_fast_kmeans_mode = false;
  cases[6].weight = make_tensor(DType::F16, {64, 32}, generate(Data::HeavyTailed, 64 * 32, 11));
  cases[6].request.spec.lut_qspec = LutQSpec{};  // on the device since issue 17
  cases[7].weight = make_tensor(DType::F16, {64, 32}, generate(Data::HeavyTailed, 64 * 32, 12));
  std::vector<double> importance = generate(Data::HeavyTailed, 64 * 32, 13);
  for (double& v : importance)
    v = std::fabs(v);
  const OwnedTensor sensitivity = make_tensor(DType::F32, {64, 32}, importance);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    cases[i].request.name = "off-path" + std::to_string(i);
    cases[i].request.weight = cases[i].weight.view();
  }
  cases[7].request.sensitivity = sensitivity.view();
  const auto backend = cuda::make_cuda_backend();
  expect_backends_agree(*backend, cases);
}

// Small enough for compute-sanitizer (scripts/gpu-check.sh runs memcheck and racecheck on it), yet
// through every kernel and branch: a chunk counted in shared memory (>= 16,384 elements) and
// small ones counted in device memory, per-channel scale, every dtype, bytes shared by blocks,
// sensitivities and LUT quantization.
TEST_F(CudaTest, SmallBatchForTheSanitizers) {
  std::vector<Case> cases(4);
  cases[0].weight = make_tensor(DType::F16, {128, 256}, generate(Data::HeavyTailed, 32768, 21));
  cases[1].weight = make_tensor(DType::F32, {48, 32}, generate(Data::Mixture, 48 * 32, 22));
  cases[1].request.spec.granularity = Granularity::per_grouped_channel(1, 16);
  cases[1].request.spec.enable_per_channel_scale = true;
  cases[1].request.spec.n_bits = 3;
  cases[2].weight = make_tensor(DType::BF16, {48, 40}, generate(Data::Duplicates, 48 * 40, 23));
  cases[2].request.spec.granularity = Granularity::per_grouped_channel(0, 16);
  cases[2].request.spec.n_bits = 6;
  cases[3].weight = make_tensor(DType::F64, {16, 24}, generate(Data::TwoValues, 16 * 24, 24));
  cases[3].request.spec.n_bits = 8;
  cases[2].request.spec.lut_qspec = LutQSpec{LutDType::UInt8, QScheme::Asymmetric};
  std::vector<double> importance = generate(Data::HeavyTailed, 48 * 32, 25);
  for (double& v : importance)
    v = std::fabs(v);
  const OwnedTensor sensitivity = make_tensor(DType::F16, {48, 32}, importance);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    cases[i].request.name = "sanitized" + std::to_string(i);
    cases[i].request.weight = cases[i].weight.view();
  }
  cases[1].request.sensitivity = sensitivity.view();  // the sensitivity phase too
  const auto backend = cuda::make_cuda_backend();
  expect_backends_agree(*backend, cases);
}

TEST_F(CudaTest, ResultsDoNotDependOnTheRun) {
  const std::vector<Case> cases = parity_cases(128, 64);
  const auto backend = cuda::make_cuda_backend();
  const std::vector<PalettizeResult> first = backend->run_batch(requests_of(cases));
  const std::vector<PalettizeResult> second = backend->run_batch(requests_of(cases));
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].lut, second[i].lut) << i;
    EXPECT_EQ(first[i].packed_indices, second[i].packed_indices) << i;
    EXPECT_EQ(first[i].sse, second[i].sse) << i;  // fixed-order sums: bit-identical
  }
}

// Backend selection runs with or without a device.
TEST(CudaBackendSelection, CudaNamesWhyItCannotRun) {
  const std::string unusable = cuda::device_unusable_reason();
  if (unusable.empty()) {
    EXPECT_EQ(make_backend("cuda")->name(), "cuda");
    return;
  }
  try {
    make_backend("cuda");
    FAIL() << "make_backend(\"cuda\") succeeded without a usable device";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(unusable), std::string::npos) << error.what();
  }
}

// "auto" uses the device only when its parity probe gives the CPU backend's bits; a run that
// requires a GPU (scripts/gpu-check.sh) requires that.
TEST(CudaBackendSelection, AutoUsesTheGpuOnlyWhenItsParityProbeMatches) {
  const BackendChoice choice = choose_backend("auto");
  const std::string unusable = cuda::device_unusable_reason();
  if (!unusable.empty()) {
    EXPECT_EQ(choice.backend->name(), "cpu");
    EXPECT_EQ(choice.reason, unusable);
    return;
  }
  if (testing_support::gpu_required()) {
    EXPECT_EQ(choice.backend->name(), "cuda") << choice.reason;
  } else if (choice.backend->name() == "cpu") {
    EXPECT_NE(choice.reason.find("parity probe"), std::string::npos) << choice.reason;
  }
}

TEST_F(CudaTest, ParityProbeMatchesTheCpuOnEveryPath) {
  const auto backend = cuda::make_cuda_backend();
  const auto cpu = make_cpu_backend();
  const probe::ProbeReport report = probe::run_parity_probe(*backend, *cpu);
  for (const probe::ProbeRow& row : report.rows)
    EXPECT_TRUE(row.matched) << row.path << ": " << row.mismatch;
}

// A slot of 8 MiB holds a few of these tensors' 64, 32 and 96 blocks: they run in pieces
// (host/backends/cuda/tensor_pieces.hpp), gathered along axis 1, starting mid-byte for 3 bits.
TEST_F(CudaTest, TensorsLargerThanASlotRunInPiecesAndMatch) {
  std::vector<Case> cases(3);
  cases[0].weight = make_tensor(DType::F16, {1024, 512}, generate(Data::HeavyTailed, 1 << 19, 31));
  cases[0].request.spec.granularity = Granularity::per_grouped_channel(0, 16);
  cases[0].request.spec.enable_per_channel_scale = true;
  cases[1].weight = make_tensor(DType::F32, {256, 1024}, generate(Data::Mixture, 1 << 18, 32));
  cases[1].request.spec.granularity = Granularity::per_grouped_channel(1, 32);
  cases[1].request.spec.n_bits = 3;
  cases[2].weight = make_tensor(DType::BF16, {96, 7}, generate(Data::HeavyTailed, 96 * 7, 33));
  cases[2].request.spec.granularity = Granularity::per_grouped_channel(0, 1);
  cases[2].request.spec.n_bits = 3;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    cases[i].request.name = "pieces" + std::to_string(i);
    cases[i].request.weight = cases[i].weight.view();
  }
  cuda::CudaBackendOptions options;
  options.device_memory_bytes = std::size_t{16} << 20;
  const auto backend = cuda::make_cuda_backend(options);
  expect_backends_agree(*backend, cases);
}

// `--devices all`: one CUDA backend per device behind one (multi_device_backend.hpp).
TEST_F(CudaTest, AllDevicesGiveOneDevicesBytes) {
  const auto backend = choose_backend("cuda", 0, "all").backend;
  expect_backends_agree(*backend, parity_cases(128, 64));
}

}  // namespace
}  // namespace kmlut
