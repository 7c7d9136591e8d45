// The SIMD targets chosen at run time (host/backends/cpu/simd/): each target this processor runs
// against an independent brute-force search written here in scalar code, and against the others
// on whole k-means fits, which must agree bit for bit. The processor's own support is read from
// /proc/cpuinfo, not from the code under test.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "host/backends/cpu/lloyd_kmeans.hpp"
#include "host/backends/cpu/simd/nearest_centre_kernels.hpp"
#include "host/backends/cpu/simd/simd_target.hpp"
#include "kmlut/error.hpp"

namespace kmlut::cpu {
namespace {

bool cpuinfo_has(const std::string& flag) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0)
      continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::string word;
    while (words >> word) {
      if (word == flag)
        return true;
    }
    return false;
  }
  return false;
}

TEST(SimdTargets, SupportMatchesTheProcessorsFlags) {
  EXPECT_TRUE(simd_target_supported(SimdTarget::kBaseline));
  EXPECT_EQ(simd_target_supported(SimdTarget::kAvx2), cpuinfo_has("avx2"));
  EXPECT_EQ(simd_target_supported(SimdTarget::kAvx512), cpuinfo_has("avx512f"));
  for (SimdTarget target : supported_simd_targets())
    EXPECT_EQ(parse_simd_target(simd_target_name(target)), target);
  EXPECT_THROW(parse_simd_target("avx1024"), ConfigError);
}

// The brute-force reference: every distance summed in j order, nearest and second nearest by a
// scan in index order (strict comparisons keep the lowest index).
struct Reference {
  std::uint32_t index = 0;
  float best = std::numeric_limits<float>::infinity();
  float second = std::numeric_limits<float>::infinity();
};

Reference brute_force(const std::vector<float>& centres, std::size_t k, int d, const float* x) {
  Reference r;
  for (std::size_t c = 0; c < k; ++c) {
    float sum = 0.0f;
    for (int j = 0; j < d; ++j) {
      const float diff = x[j] - centres[c * d + j];
      sum += diff * diff;
    }
    if (sum < r.best) {
      r.second = r.best;
      r.best = sum;
      r.index = static_cast<std::uint32_t>(c);
    } else if (sum < r.second) {
      r.second = sum;
    }
  }
  return r;
}

// Centres on a coarse grid, so that equal distances (ties) are common.
std::vector<float> grid_points(std::size_t n, int d, std::mt19937& generator) {
  std::uniform_int_distribution<int> cell(-3, 3);
  std::vector<float> points(n * static_cast<std::size_t>(d));
  for (float& v : points)
    v = 0.5f * static_cast<float>(cell(generator));
  return points;
}

TEST(SimdTargets, FullSearchMatchesBruteForceWithTies) {
  std::mt19937 generator(7);
  for (SimdTarget target : supported_simd_targets()) {
    const NearestCentreKernels& kernels = nearest_centre_kernels(target);
    for (int d : {1, 2, 3, 4, 8, 11}) {
      for (std::size_t k :
           {std::size_t{1}, std::size_t{5}, std::size_t{16}, std::size_t{37}, std::size_t{256}}) {
        SCOPED_TRACE(std::string(simd_target_name(target)) + " d " + std::to_string(d) + " k " +
                     std::to_string(k));
        const std::vector<float> centres = grid_points(k, d, generator);
        const std::size_t stride = (k + kCentreTile - 1) / kCentreTile * kCentreTile;
        std::vector<float> columns(stride * d, 0.0f);
        std::vector<float> penalty(stride, std::numeric_limits<float>::infinity());
        for (std::size_t c = 0; c < k; ++c) {
          penalty[c] = 0.0f;
          for (int j = 0; j < d; ++j)
            columns[j * stride + c] = centres[c * d + j];
        }
        const CentreColumns table{columns.data(), penalty.data(), stride, k, d};
        const std::vector<float> points = grid_points(200, d, generator);
        for (std::size_t i = 0; i < 200; ++i) {
          const float* x = &points[i * d];
          const Reference want = brute_force(centres, k, d, x);
          const NearestPair got = kernels.nearest_pair(table, x);
          ASSERT_EQ(got.index, want.index);
          ASSERT_EQ(got.best, want.best);
          ASSERT_EQ(got.second, want.second);
        }
      }
    }
  }
}

// Vectors like a layer's weights: heavy-tailed, mildly correlated within a vector.
std::vector<float> weight_like(std::size_t n, int d, unsigned seed) {
  std::mt19937 generator(seed);
  std::student_t_distribution<float> t(4.0f);
  std::vector<float> points(n * static_cast<std::size_t>(d));
  for (std::size_t i = 0; i < n; ++i) {
    const float shared = t(generator);
    for (int j = 0; j < d; ++j)
      points[i * d + j] = 0.02f * (0.5f * shared + t(generator));
  }
  return points;
}

TEST(SimdTargets, EveryTargetGivesTheSameFitBitForBit) {
  const std::vector<SimdTarget> targets = supported_simd_targets();
  for (int d : {1, 2, 4, 8, 12}) {
    for (std::size_t k : {std::size_t{16}, std::size_t{256}}) {
      SCOPED_TRACE("d " + std::to_string(d) + " k " + std::to_string(k));
      const std::size_t n = 4000;
      const std::vector<float> points = weight_like(n, d, 40u + static_cast<unsigned>(d));
      std::vector<double> weights(n);
      for (std::size_t i = 0; i < n; ++i)
        weights[i] = 0.25 + static_cast<double>(i % 7);
      const VectorPoints view{points.data(), d % 2 == 0 ? weights.data() : nullptr, n, d};
      LloydOptions options;
      options.k = k;
      options.n_init = 2;
      options.simd = SimdTarget::kBaseline;
      const LloydFit reference = fit_lloyd_kmeans(view, options);
      for (SimdTarget target : targets) {
        SCOPED_TRACE(simd_target_name(target));
        options.simd = target;
        const LloydFit fit = fit_lloyd_kmeans(view, options);
        EXPECT_EQ(fit.centroids, reference.centroids);
        EXPECT_EQ(fit.labels, reference.labels);
        EXPECT_EQ(fit.inertia, reference.inertia);
        EXPECT_EQ(fit.iterations, reference.iterations);
      }
    }
  }
}

}  // namespace
}  // namespace kmlut::cpu
