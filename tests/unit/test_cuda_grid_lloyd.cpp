// The vector-Lloyd kernel bodies (kernels/bodies/) on the CPU grid executor against the CPU
// backend: the fused distance + argmin step against CentroidTable::nearest_two, bit for bit
// (label, and the square roots of the nearest and second squared distances), on a ragged grid of
// tiles of every d ≤ 8 and k from 1 to 256, with tied centres and points lying on centres; and a
// Lloyd iteration composed of the bodies (assignment, chunk sums, means, reassignment, moves,
// inertia) from the CPU's k-means++ seeds against fit_lloyd_kmeans, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "host/backends/cpu/centroid_table.hpp"
#include "host/backends/cpu/kmeans_plus_plus.hpp"
#include "host/backends/cpu/lloyd_kmeans.hpp"
#include "host/backends/cpu/random_stream.hpp"
#include "kernels/bodies/lloyd_sums_body.hpp"
#include "kernels/bodies/nearest_centre_body.hpp"
#include "tests/support/cpu_grid.hpp"

namespace kmlut {
namespace {

using testing_support::CpuThread;
using testing_support::run_grid;

std::uint32_t bits(float value) {
  std::uint32_t b;
  std::memcpy(&b, &value, sizeof b);
  return b;
}

struct TileData {
  int d;
  std::uint32_t k;
  std::vector<float> points;
  std::vector<float> centres;
  std::vector<std::uint8_t> labels;
  std::vector<float> upper;
  std::vector<float> lower;
};

TileData make_tile(int d, std::uint32_t k, std::uint32_t count, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> coarse(-2, 2);  // a coarse grid: many exact ties
  TileData tile{d, k, std::vector<float>(count * d), std::vector<float>(k * d), {}, {}, {}};
  const bool gridded = (d + k) % 2 == 0;
  for (float& v : tile.centres)
    v = gridded ? 0.5f * static_cast<float>(coarse(rng)) : normal(rng);
  if (k > 3)  // a duplicated centre: its later copy never wins
    std::copy_n(&tile.centres[1 * d], d, &tile.centres[(k - 1) * d]);
  for (std::uint32_t i = 0; i < count; ++i) {
    float* x = &tile.points[i * d];
    if (i % 7 == 0) {
      std::copy_n(&tile.centres[(i % k) * d], d, x);  // on a centre
    } else {
      for (int j = 0; j < d; ++j)
        x[j] = gridded ? 0.25f * static_cast<float>(coarse(rng)) : normal(rng);
    }
  }
  tile.labels.assign(count, 0xEE);
  tile.upper.assign(count, -1.0f);
  tile.lower.assign(count, -1.0f);
  return tile;
}

TEST(CudaGridLloyd, NearestCentreIsTheCentroidTablesBitForBit) {
  std::mt19937 rng(17);
  std::vector<TileData> data;
  const std::uint32_t ks[] = {1, 2, 7, 16, 33, 256};
  unsigned shape = 0;
  for (int d = 1; d <= cuda::kMaxDeviceVectorDim; ++d) {
    for (int repeat = 0; repeat < 2; ++repeat, ++shape)
      data.push_back(make_tile(d, ks[shape % 6], 100 + 97 * (shape % 5), rng));
  }
  std::vector<cuda::NearestCentreTile> tiles;
  for (TileData& t : data) {
    tiles.push_back({t.points.data(), static_cast<std::uint32_t>(t.labels.size()), t.d,
                     t.centres.data(), t.k, nullptr, t.labels.data(), t.upper.data(),
                     t.lower.data()});
  }
  run_grid<cuda::NearestCentreShared>(static_cast<unsigned>(tiles.size()),
                                      cuda::kNearestCentreThreads,
                                      [&](const CpuThread& at, cuda::NearestCentreShared& shared) {
                                        cuda::nearest_centre_body(at, tiles.data(), shared);
                                      });
  for (const TileData& t : data) {
    cpu::CentroidTable table;
    table.assign(t.centres.data(), t.k, t.d);
    for (std::size_t i = 0; i < t.labels.size(); ++i) {
      const cpu::NearestTwo expected = table.nearest_two(&t.points[i * t.d]);
      ASSERT_EQ(t.labels[i], expected.index) << "d " << t.d << " k " << t.k << " point " << i;
      ASSERT_EQ(bits(t.upper[i]), bits(std::sqrt(expected.best))) << "d " << t.d << " k " << t.k;
      ASSERT_EQ(bits(t.lower[i]), bits(std::sqrt(expected.second))) << "d " << t.d << " k " << t.k;
    }
  }
}

// Every point's nearest centre, through the nearest-centre body in tiles of one chunk.
std::vector<std::uint8_t> assign(const std::vector<float>& points, int d,
                                 const std::vector<float>& centres, std::uint32_t k) {
  const auto n = static_cast<std::uint32_t>(points.size() / static_cast<std::size_t>(d));
  std::vector<std::uint8_t> labels(n);
  std::vector<float> upper(n);
  std::vector<float> lower(n);
  std::vector<cuda::NearestCentreTile> tiles;
  for (std::uint32_t first = 0; first < n; first += cuda::kLloydChunk) {
    const std::uint32_t count = std::min(cuda::kLloydChunk, n - first);
    tiles.push_back({&points[std::size_t{first} * static_cast<std::size_t>(d)], count, d,
                     centres.data(), k, nullptr, &labels[first], &upper[first], &lower[first]});
  }
  run_grid<cuda::NearestCentreShared>(static_cast<unsigned>(tiles.size()),
                                      cuda::kNearestCentreThreads,
                                      [&](const CpuThread& at, cuda::NearestCentreShared& shared) {
                                        cuda::nearest_centre_body(at, tiles.data(), shared);
                                      });
  return labels;
}

template <class Body>
void run_lloyd_grid(unsigned blocks, Body&& body) {
  run_grid<char>(blocks, cuda::kLloydThreads, [&](const CpuThread& at, char&) { body(at); });
}

struct LloydCase {
  std::uint32_t n;
  int d;
  std::uint32_t k;
  bool weighted;
};

TEST(CudaGridLloyd, OneIterationFromTheSameSeedsIsTheCpusBitForBit) {
  const LloydCase cases[] = {
      {10000, 2, 4, false}, {9001, 4, 16, true}, {5000, 8, 64, true}, {4500, 3, 256, false}};
  std::uint64_t seed = 3;
  for (const LloydCase& c : cases) {
    std::mt19937 rng(static_cast<unsigned>(seed));
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> integer(1, 9);
    std::vector<float> data(std::size_t{c.n} * static_cast<std::size_t>(c.d));
    for (float& v : data)
      v = normal(rng);
    std::vector<double> weights(c.n);
    for (double& w : weights)
      w = integer(rng);
    const cpu::VectorPoints points{data.data(), c.weighted ? weights.data() : nullptr, c.n, c.d};
    cpu::LloydOptions options;
    options.k = c.k;
    options.n_init = 1;
    options.max_iter = 1;
    options.use_bounds = false;
    options.seed = ++seed;
    const cpu::LloydFit expected = cpu::fit_lloyd_kmeans(points, options);

    cpu::RandomStream random(cpu::derive_seed(options.seed, 0));
    std::vector<float> centres = cpu::kmeans_plus_plus(points, c.k, random);
    const std::uint32_t chunks = cuda::lloyd_chunks(c.n);
    const std::uint32_t row = static_cast<std::uint32_t>(c.d) + 1;
    std::vector<double> sums(c.k * row), chunk_sums(std::size_t{chunks} * c.k * row);
    std::vector<std::uint64_t> counts(c.k);
    std::vector<std::uint32_t> chunk_counts(std::size_t{chunks} * c.k);
    std::vector<double> chunk_inertia(chunks);
    std::vector<std::uint8_t> labels = assign(data, c.d, centres, c.k);
    const cuda::LloydProblem problem{
        data.data(),         points.weights,      c.n,         c.d,           c.k,
        labels.data(),       centres.data(),      sums.data(), counts.data(), chunk_sums.data(),
        chunk_counts.data(), chunk_inertia.data()};
    run_lloyd_grid(chunks, [&](const CpuThread& at) { cuda::lloyd_chunk_sums_body(at, problem); });
    run_lloyd_grid(1, [&](const CpuThread& at) { cuda::lloyd_combine_sums_body(at, problem); });
    for (std::uint32_t cluster = 0; cluster < c.k; ++cluster)
      ASSERT_NE(counts[cluster], 0u) << "a seed lost its own point: relocation is not on the grid";
    run_lloyd_grid(1, [&](const CpuThread& at) { cuda::lloyd_means_body(at, problem); });

    const std::vector<std::uint8_t> previous = labels;
    const std::vector<std::uint8_t> reassigned = assign(data, c.d, centres, c.k);
    std::copy(reassigned.begin(), reassigned.end(), labels.begin());  // the problem points here
    std::vector<cuda::LloydMove> moves;
    for (std::uint32_t i = 0; i < c.n; ++i) {
      if (labels[i] != previous[i])
        moves.push_back({i, previous[i], labels[i]});
    }
    run_lloyd_grid(1, [&](const CpuThread& at) {
      cuda::lloyd_apply_moves_body(at, problem, moves.data(),
                                   static_cast<std::uint32_t>(moves.size()));
    });
    run_lloyd_grid(1, [&](const CpuThread& at) { cuda::lloyd_means_body(at, problem); });
    run_lloyd_grid((chunks + cuda::kLloydThreads - 1) / cuda::kLloydThreads,
                   [&](const CpuThread& at) { cuda::lloyd_chunk_inertia_body(at, problem); });
    const double inertia = cuda::lloyd_inertia(problem);

    const std::string label =
        "n " + std::to_string(c.n) + " d " + std::to_string(c.d) + " k " + std::to_string(c.k);
    EXPECT_FALSE(moves.empty()) << label << ": the second assignment moved no point";
    ASSERT_EQ(labels, expected.labels) << label;
    ASSERT_EQ(centres.size(), expected.centroids.size()) << label;
    for (std::size_t v = 0; v < centres.size(); ++v)
      ASSERT_EQ(bits(centres[v]), bits(expected.centroids[v])) << label << " value " << v;
    std::uint64_t got_bits;
    std::uint64_t expected_bits;
    std::memcpy(&got_bits, &inertia, sizeof got_bits);
    std::memcpy(&expected_bits, &expected.inertia, sizeof expected_bits);
    EXPECT_EQ(got_bits, expected_bits)
        << label << ": inertia " << inertia << " vs " << expected.inertia;
  }
}

}  // namespace
}  // namespace kmlut
