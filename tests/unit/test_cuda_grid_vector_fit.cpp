// The CUDA backend's whole vector fit (host/backends/cuda/vector_fit_driver.cpp) with a fake
// device (cpu_grid_vector_device.hpp: the kernel bodies on the CPU grid executor, in 32-thread
// blocks or, for one fit, the device's) against the CPU backend, bit for bit: fit_lloyd_kmeans's
// centroids, labels, inertia and iteration count on point sets of d 2, 4 and 8 and k 16 and 256,
// weighted or not, with duplicated points that leave clusters empty (relocation) and gridded values
// full of exact ties; the move list alone at the device's block size; then whole vector
// palettizations, the CPU backend with its fits on the fake device against the plain CPU backend,
// for every output byte.
#include <gtest/gtest.h>

#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "host/backends/cpu/lloyd_kmeans.hpp"
#include "host/backends/cpu/vector_fitter.hpp"
#include "host/backends/cuda/vector_fit_driver.hpp"
#include "host/backends/probe/parity_probe.hpp"
#include "kmlut/error.hpp"
#include "tests/unit/cpu_grid_vector_device.hpp"
#include "tests/unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using testing_support::CpuGridVectorDevice;
using testing_support::make_tensor;
using testing_support::OwnedTensor;

std::uint64_t bits(double value) {
  std::uint64_t b;
  std::memcpy(&b, &value, sizeof b);
  return b;
}

enum class Points { Normal, Gridded, FewDistinct };

struct FitCase {
  std::size_t n;
  int d;
  std::size_t k;
  bool weighted;
  Points kind;
  testing_support::GridBlocks blocks = testing_support::GridBlocks::Warp;
  int n_init = 5;
  int max_iter = 300;
};

std::string describe(const FitCase& c) {
  return "n " + std::to_string(c.n) + " d " + std::to_string(c.d) + " k " + std::to_string(c.k) +
         (c.weighted ? " weighted" : "") + " kind " + std::to_string(static_cast<int>(c.kind));
}

struct PointSet {
  std::vector<float> data;
  std::vector<double> weights;
};

PointSet make_points(const FitCase& c, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> coarse(-3, 3);
  std::uniform_int_distribution<int> integer(1, 5);
  PointSet set;
  const auto d = static_cast<std::size_t>(c.d);
  const std::size_t values = c.n * d;
  std::vector<float> palette(40 * d);
  for (float& v : palette)
    v = normal(rng);
  set.data.resize(values);
  for (std::size_t v = 0; v < values; ++v) {
    switch (c.kind) {
      case Points::Normal:
        set.data[v] = normal(rng);
        break;
      case Points::Gridded:
        set.data[v] = 0.25f * static_cast<float>(coarse(rng));
        break;
      case Points::FewDistinct:  // 40 distinct vectors: with k > 40 clusters are left empty
        set.data[v] = palette[(v / d * 7919 % 40) * d + v % d];
        break;
    }
  }
  if (c.weighted) {
    set.weights.resize(c.n);
    for (double& w : set.weights)
      w = 0.25 * integer(rng);
  }
  return set;
}

TEST(DeviceVectorFit, WholeFitIsTheCpusBitForBit) {
  using testing_support::GridBlocks;
  const FitCase cases[] = {
      {1500, 2, 16, false, Points::Normal},
      {1200, 4, 16, true, Points::Gridded},
      {9000, 8, 16, false, Points::Normal, GridBlocks::Warp, 2},  // three chunks
      {700, 2, 64, true, Points::FewDistinct},
      {2100, 4, 256, false, Points::Normal, GridBlocks::Warp, 2},
      {600, 8, 256, true, Points::Gridded, GridBlocks::Warp, 2},
      {300, 3, 256, false, Points::FewDistinct, GridBlocks::Warp, 2},
      // The device's block sizes, briefly: 256 threads per block cost the executor much more.
      {800, 4, 16, true, Points::FewDistinct, GridBlocks::Device, 1, 4}};
  unsigned seed = 5;
  for (const FitCase& c : cases) {
    const PointSet set = make_points(c, seed++);
    cpu::VectorPoints points;
    points.data = set.data.data();
    points.weights = c.weighted ? set.weights.data() : nullptr;
    points.n = c.n;
    points.d = c.d;
    cpu::LloydOptions options;
    options.k = c.k;
    options.seed = seed * 977;
    options.n_init = c.n_init;
    options.max_iter = c.max_iter;
    const cpu::LloydFit expected = cpu::fit_lloyd_kmeans(points, options);
    CpuGridVectorDevice device(c.blocks);
    const cpu::LloydFit fit =
        cuda::fit_lloyd_kmeans_on_device(points, options, cpu::run_serially, device);
    EXPECT_EQ(device.buffer_count(), 0u) << describe(c);
    EXPECT_EQ(fit.iterations, expected.iterations) << describe(c);
    EXPECT_EQ(bits(fit.inertia), bits(expected.inertia)) << describe(c);
    ASSERT_EQ(fit.centroids.size(), expected.centroids.size()) << describe(c);
    EXPECT_EQ(std::memcmp(fit.centroids.data(), expected.centroids.data(),
                          fit.centroids.size() * sizeof(float)),
              0)
        << describe(c);
    EXPECT_EQ(fit.labels, expected.labels) << describe(c);
  }
}

// The move list at the device's block size over several ragged chunks, against the points whose
// label changed, listed in order; the previous labels become the new ones.
TEST(DeviceVectorFit, MoveListIsEveryChangedPointInOrder) {
  const std::uint32_t n = 2 * cuda::kLloydChunk + 777;
  std::mt19937 rng(23);
  std::vector<std::uint8_t> labels(n);
  std::vector<std::uint8_t> previous(n);
  std::vector<cuda::LloydMove> expected;
  for (std::uint32_t i = 0; i < n; ++i) {
    previous[i] = static_cast<std::uint8_t>(rng());
    // Runs of changes and of stillness, a whole thread's run at times.
    const bool moved = (i / 97) % 3 == 0 ? rng() % 2 == 0 : (i / 97) % 3 == 1;
    labels[i] = moved ? static_cast<std::uint8_t>(previous[i] + 1 + rng() % 255) : previous[i];
    if (moved)
      expected.push_back({i, previous[i], labels[i]});
  }
  std::vector<std::uint32_t> chunk_moves(cuda::lloyd_chunks(n));
  std::vector<cuda::LloydMove> moves(n, {0xFFFFFFFFu, 0, 0});
  std::uint32_t move_count = 0;
  const cuda::LloydMoveList list{labels.data(),      previous.data(), n,
                                 chunk_moves.data(), moves.data(),    &move_count};
  CpuGridVectorDevice(testing_support::GridBlocks::Device).lloyd_collect_moves(list);
  ASSERT_EQ(move_count, expected.size());
  for (std::size_t m = 0; m < expected.size(); ++m) {
    ASSERT_EQ(moves[m].point, expected[m].point) << m;
    ASSERT_EQ(moves[m].from, expected[m].from) << m;
    ASSERT_EQ(moves[m].to, expected[m].to) << m;
  }
  EXPECT_EQ(previous, labels);
}

TEST(DeviceVectorFit, RejectsWhatTheDeviceDoesNotCover) {
  std::vector<float> data(9 * 10, 0.5f);
  cpu::VectorPoints points;
  points.data = data.data();
  points.n = 10;
  points.d = 9;
  cpu::LloydOptions options;
  options.k = 4;
  CpuGridVectorDevice device;
  EXPECT_THROW(cuda::fit_lloyd_kmeans_on_device(points, options, cpu::run_serially, device), Error);
}

// The CPU backend with every vector fit on the fake device; the fake device is not thread-safe,
// so the fits take turns, as the CUDA backend's take turns on its stream.
cpu::VectorFitter grid_device_fitter() {
  auto mutex = std::make_shared<std::mutex>();
  return [mutex](const cpu::VectorPoints& points, const cpu::LloydOptions& options,
                 const cpu::ChunkRunner& runner) {
    const std::lock_guard<std::mutex> lock(*mutex);
    CpuGridVectorDevice device;
    return cuda::fit_lloyd_kmeans_on_device(points, options, runner, device);
  };
}

struct RequestCase {
  DType dtype;
  std::int64_t rows;
  std::int64_t cols;
  int d;
  int n_bits;
  bool grouped;
  bool scale;
  bool sensitivity;
};

TEST(DeviceVectorFit, VectorPalettizationIsTheCpuBackendsByteForByte) {
  const RequestCase cases[] = {
      {DType::F16, 32, 24, 2, 4, false, false, false},
      {DType::BF16, 48, 20, 4, 4, true, true, false},
      {DType::F32, 64, 24, 8, 8, false, false, true},
      {DType::F16, 40, 36, 2, 8, false, true, true},
      {DType::F32, 96, 10, 4, 3, true, false, true},
      {DType::BF16, 24, 33, 8, 2, false, false, false},
  };
  std::vector<OwnedTensor> weights;
  std::vector<OwnedTensor> sensitivities;
  std::vector<PalettizeRequest> requests;
  unsigned seed = 11;
  for (const RequestCase& c : cases) {
    const auto count = static_cast<std::size_t>(c.rows * c.cols);
    weights.push_back(
        make_tensor(c.dtype, {c.rows, c.cols}, testing_support::student_t(count, seed)));
    std::vector<double> importance = testing_support::student_t(count, seed + 100, 1.0);
    for (double& v : importance)
      v = v * v;
    sensitivities.push_back(make_tensor(DType::F32, {c.rows, c.cols}, importance));
    ++seed;
  }
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    const RequestCase& c = cases[i];
    PalettizeRequest request;
    request.name = "vector" + std::to_string(i);
    request.weight = weights[i].view();
    request.spec.n_bits = c.n_bits;
    request.spec.cluster_dim = c.d;
    if (c.grouped)
      request.spec.granularity = Granularity::per_grouped_channel(0, 2 * c.d);
    request.spec.enable_per_channel_scale = c.scale;
    request.seed = 1000 + i;
    if (c.sensitivity)
      request.sensitivity = sensitivities[i].view();
    requests.push_back(request);
  }
  const std::vector<PalettizeResult> expected = make_cpu_backend(1)->run_batch(requests);
  const std::vector<PalettizeResult> got =
      cpu::make_cpu_backend_with_vector_fitter(2, grid_device_fitter())->run_batch(requests);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(expected[i].palettized) << requests[i].name << ": " << expected[i].skip_reason;
    EXPECT_EQ(probe::result_difference(got[i], expected[i]), "") << requests[i].name;
    EXPECT_EQ(bits(got[i].sse), bits(expected[i].sse)) << requests[i].name;
    EXPECT_EQ(got[i].lloyd_iterations, expected[i].lloyd_iterations) << requests[i].name;
  }
}

}  // namespace
}  // namespace kmlut
