// The k-means++ kernel body (kernels/bodies/kmeans_plus_plus_body.hpp) on the CPU grid executor
// against the CPU backend's kmeans_plus_plus from the same stream seed, bit for bit: a ragged grid
// of problems with and without the subsample, with and without weights, and one whose sampled
// points all coincide with centres before k are chosen (the draw by weight alone).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "host/backends/cpu/kmeans_plus_plus.hpp"
#include "kernels/bodies/kmeans_plus_plus_body.hpp"
#include "tests/support/cpu_grid.hpp"

namespace kmlut {
namespace {

using testing_support::CpuThread;
using testing_support::run_grid;

struct SeedingCase {
  std::uint32_t n;
  int d;
  std::uint32_t k;
  bool weighted;
  int distinct;  // 0: continuous values; else points drawn from this many
};

struct SeedingData {
  SeedingCase shape;
  std::vector<float> points;
  std::vector<double> weights;
  std::vector<std::uint32_t> taken, sample;
  std::vector<double> sample_weight, distances[3], mass;
  std::vector<float> centres;
  std::uint64_t stream_seed;
};

SeedingData make_data(const SeedingCase& c, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> integer(1, 6);
  SeedingData data;
  data.shape = c;
  data.points.resize(std::size_t{c.n} * static_cast<std::size_t>(c.d));
  std::vector<float> palette(static_cast<std::size_t>(c.distinct * c.d));
  for (float& v : palette)
    v = normal(rng);
  for (std::uint32_t i = 0; i < c.n; ++i) {
    for (int j = 0; j < c.d; ++j) {
      data.points[std::size_t{i} * static_cast<std::size_t>(c.d) + static_cast<std::size_t>(j)] =
          c.distinct == 0 ? normal(rng)
                          : palette[static_cast<std::size_t>((i % c.distinct) * c.d + j)];
    }
  }
  data.weights.resize(c.n);
  for (double& w : data.weights)
    w = integer(rng);
  const std::uint32_t m = cuda::seeding_sample_size(c.n, c.k);
  data.taken.assign((c.n + 31) / 32, 0u);
  data.sample.resize(m);
  data.sample_weight.resize(m);
  for (std::vector<double>& buffer : data.distances)
    buffer.resize(m);
  data.mass.resize(m);
  data.centres.assign(std::size_t{c.k} * static_cast<std::size_t>(c.d), -1.0f);
  data.stream_seed = numeric::derive_seed(seed, 7);
  return data;
}

TEST(CudaGridSeeding, KMeansPlusPlusIsTheCpusBitForBit) {
  const SeedingCase cases[] = {{3000, 2, 8, false, 0},
                               {20000, 4, 16, true, 0},  // subsampled: 16,384 of 20,000
                               {17000, 8, 32, true, 0},  // subsampled
                               {200, 3, 12, true, 5}};   // 5 distinct points for 12 centres
  std::vector<SeedingData> data;
  unsigned seed = 11;
  for (const SeedingCase& c : cases)
    data.push_back(make_data(c, seed++));
  std::vector<cuda::SeedingProblem> problems;
  for (SeedingData& p : data) {
    problems.push_back({p.points.data(),
                        p.shape.weighted ? p.weights.data() : nullptr,
                        p.shape.n,
                        p.shape.d,
                        p.shape.k,
                        p.stream_seed,
                        p.taken.data(),
                        p.sample.data(),
                        p.sample_weight.data(),
                        {p.distances[0].data(), p.distances[1].data(), p.distances[2].data()},
                        p.mass.data(),
                        p.centres.data()});
  }
  run_grid<cuda::SeedingShared>(static_cast<unsigned>(problems.size()), cuda::kSeedingThreads,
                                [&](const CpuThread& at, cuda::SeedingShared& shared) {
                                  cuda::kmeans_plus_plus_body(at, problems.data(), shared);
                                });
  for (const SeedingData& p : data) {
    const cpu::VectorPoints points{p.points.data(), p.shape.weighted ? p.weights.data() : nullptr,
                                   p.shape.n, p.shape.d};
    cpu::RandomStream random(p.stream_seed);
    const std::vector<float> expected = cpu::kmeans_plus_plus(points, p.shape.k, random);
    ASSERT_EQ(p.centres.size(), expected.size());
    EXPECT_EQ(std::memcmp(p.centres.data(), expected.data(), expected.size() * sizeof(float)), 0)
        << "n " << p.shape.n << " d " << p.shape.d << " k " << p.shape.k;
  }
}

}  // namespace
}  // namespace kmlut
