// Vector palettization on the device against the CPU backend, byte for byte: the CUDA backend's
// vector requests (k-means++ and Lloyd on the device, host/backends/cuda/vector_fit_driver.cpp)
// for d 2, 4 and 8, k 16 and 256, every float dtype, per-tensor and grouped, with per-channel
// scale and sensitivities, including a block large enough for the CPU's split path; and the fit
// alone on 300,000 points against fit_lloyd_kmeans. Skipped without a device (require_gpu.hpp).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "host/backends/cpu/lloyd_kmeans.hpp"
#include "host/backends/cuda/cuda_backend.hpp"
#include "host/backends/cuda/cuda_vector_fit_device.hpp"
#include "host/backends/cuda/vector_fit_driver.hpp"
#include "host/backends/probe/parity_probe.hpp"
#include "tests/gpu/require_gpu.hpp"
#include "tests/unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using testing_support::CudaTest;
using testing_support::make_tensor;
using testing_support::OwnedTensor;

std::uint64_t bits(double value) {
  std::uint64_t b;
  std::memcpy(&b, &value, sizeof b);
  return b;
}

struct VectorCase {
  DType dtype;
  std::int64_t rows;
  std::int64_t cols;
  int d;
  int n_bits;
  bool grouped;
  bool scale;
  bool sensitivity;
};

TEST_F(CudaTest, VectorPalettizationMatchesTheCpu) {
  const VectorCase cases[] = {
      {DType::F16, 256, 128, 2, 4, false, false, false},
      {DType::BF16, 128, 96, 4, 4, true, true, false},
      {DType::F32, 256, 64, 8, 8, false, false, true},
      {DType::F16, 192, 160, 2, 8, false, true, true},
      {DType::F64, 96, 40, 4, 3, true, false, true},
      {DType::F16, 512, 512, 4, 8, false, false, false},  // 65,536 vectors: the split block
  };
  std::vector<OwnedTensor> weights;
  std::vector<OwnedTensor> sensitivities;
  std::vector<PalettizeRequest> requests;
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    const VectorCase& c = cases[i];
    const auto count = static_cast<std::size_t>(c.rows * c.cols);
    weights.push_back(
        make_tensor(c.dtype, {c.rows, c.cols},
                    testing_support::student_t(count, 40 + static_cast<unsigned>(i))));
    std::vector<double> importance =
        testing_support::student_t(count, 80 + static_cast<unsigned>(i), 1.0);
    for (double& v : importance)
      v = v * v;
    sensitivities.push_back(make_tensor(DType::F32, {c.rows, c.cols}, importance));
  }
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    const VectorCase& c = cases[i];
    PalettizeRequest request;
    request.name = "vector" + std::to_string(i);
    request.weight = weights[i].view();
    request.spec.n_bits = c.n_bits;
    request.spec.cluster_dim = c.d;
    if (c.grouped)
      request.spec.granularity = Granularity::per_grouped_channel(0, 4 * c.d);
    request.spec.enable_per_channel_scale = c.scale;
    request.seed = 7 + i;
    if (c.sensitivity)
      request.sensitivity = sensitivities[i].view();
    requests.push_back(request);
  }
  const std::vector<PalettizeResult> expected = make_cpu_backend()->run_batch(requests);
  const std::vector<PalettizeResult> got = cuda::make_cuda_backend()->run_batch(requests);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(expected[i].palettized) << requests[i].name;
    EXPECT_EQ(probe::result_difference(got[i], expected[i]), "") << requests[i].name;
    EXPECT_EQ(bits(got[i].sse), bits(expected[i].sse)) << requests[i].name;
    EXPECT_EQ(got[i].lloyd_iterations, expected[i].lloyd_iterations) << requests[i].name;
  }
}

TEST_F(CudaTest, VectorFitOnTheDeviceIsTheCpusBitForBit) {
  std::mt19937 rng(3);
  std::student_t_distribution<float> t(4.0f);
  for (int d : {2, 4, 8}) {
    const std::size_t n = 300000 / static_cast<std::size_t>(d);
    std::vector<float> data(n * static_cast<std::size_t>(d));
    for (float& v : data)
      v = 0.02f * t(rng);
    cpu::VectorPoints points;
    points.data = data.data();
    points.n = n;
    points.d = d;
    cpu::LloydOptions options;
    options.k = 256;
    options.seed = 99;
    const cpu::LloydFit expected = cpu::fit_lloyd_kmeans(points, options);
    cuda::CudaVectorFitDevice device;
    const cpu::LloydFit fit =
        cuda::fit_lloyd_kmeans_on_device(points, options, cpu::run_serially, device);
    EXPECT_EQ(fit.iterations, expected.iterations) << "d " << d;
    EXPECT_EQ(bits(fit.inertia), bits(expected.inertia)) << "d " << d;
    EXPECT_EQ(fit.centroids, expected.centroids) << "d " << d;
    EXPECT_EQ(fit.labels, expected.labels) << "d " << d;
  }
}

}  // namespace
}  // namespace kmlut
