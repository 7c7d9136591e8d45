// The exact k-means the CUDA backend runs per block (kmlut/numeric/distinct_points_kmeans.hpp),
// driven on the CPU: with one lane it must give ExactKMeans1D's partition and centroid bits, with
// several lanes (real threads meeting at barriers, as a thread block's do) the same again, and its
// cost must be optimal (exhaustive search on small inputs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kmlut/exact_kmeans1d.hpp"
#include "kmlut/numeric/distinct_points_kmeans.hpp"
#include "unit/thread_lanes.hpp"

namespace {

using kmlut::numeric::dp::Index;

struct Problem {
  std::vector<double> x;  // distinct, ascending
  std::vector<double> w;  // positive integers, as histogram counts are
};

struct Solution {
  std::vector<Index> ends;
  std::vector<double> means;
};

template <class Run>
Solution solve_with(const Problem& problem, Index k, Run&& run) {
  const auto n = static_cast<Index>(problem.x.size());
  const auto size = kmlut::numeric::distinct_points_workspace_size(n, k);
  std::vector<double> doubles(size.doubles);
  std::vector<Index> indices(size.indices);
  const kmlut::numeric::DistinctPointsWorkspace work =
      kmlut::numeric::distinct_points_workspace(doubles.data(), indices.data(), n, k);
  Solution solution;
  solution.ends.assign(std::min(n, k), 0);
  solution.means.assign(std::min(n, k), 0.0);
  run([&](auto& cta) {
    return kmlut::numeric::solve_distinct_points(cta, problem.x.data(), problem.w.data(), n, k,
                                                 work, solution.ends.data(), solution.means.data());
  });
  return solution;
}

Solution solve_one_lane(const Problem& problem, Index k) {
  return solve_with(problem, k, [](auto solve) {
    kmlut::numeric::dp::CpuLane lane;
    solve(lane);
  });
}

Solution solve_threads(const Problem& problem, Index k, unsigned lanes) {
  return solve_with(problem, k, [lanes](auto solve) { kmlut::test::run_on_threads(lanes, solve); });
}

std::uint64_t bits(double value) {
  std::uint64_t b;
  std::memcpy(&b, &value, sizeof b);
  return b;
}

void expect_same(const Solution& a, const Solution& b, const std::string& label) {
  ASSERT_EQ(a.ends, b.ends) << label;
  ASSERT_EQ(a.means.size(), b.means.size()) << label;
  for (std::size_t j = 0; j < a.means.size(); ++j)
    ASSERT_EQ(bits(a.means[j]), bits(b.means[j])) << label << ", centroid " << j;
}

// Unique values and their counts, as a block's histogram gives them.
Problem unique_values(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  Problem problem;
  for (double v : values) {
    if (!problem.x.empty() && v == problem.x.back()) {
      problem.w.back() += 1.0;
    } else {
      problem.x.push_back(v);
      problem.w.push_back(1.0);
    }
  }
  return problem;
}

// Heavy-tailed weights rounded to 4 decimals (fast mode): few unique values, large counts.
Problem rounded_heavy_tailed(std::size_t count, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::student_t_distribution<double> t(4.0);
  std::vector<double> values(count);
  for (double& v : values)
    v = std::nearbyint(0.02 * t(rng) * 1e4) / 1e4;
  return unique_values(values);
}

// Equally spaced points with equal weights: many partitions tie exactly or to rounding.
Problem equally_spaced(std::size_t n) {
  Problem problem;
  for (std::size_t i = 0; i < n; ++i) {
    problem.x.push_back(0.125 * static_cast<double>(i) - 3.0);
    problem.w.push_back(7.0);
  }
  return problem;
}

// A symmetric pattern repeated: mirror-image partitions cost the same.
Problem symmetric(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> count(1, 5);
  Problem problem;
  for (std::size_t i = 0; i < n; ++i) {
    problem.x.push_back(static_cast<double>(i) + (i % 2 == 0 ? 0.0 : 0.5));
    problem.w.push_back(n - 1 - i >= i ? count(rng) : problem.w[n - 1 - i]);
  }
  return problem;
}

std::vector<std::pair<std::string, Problem>> problems() {
  std::vector<std::pair<std::string, Problem>> all;
  all.emplace_back("rounded heavy-tailed 3,000", rounded_heavy_tailed(3000, 1));
  all.emplace_back("rounded heavy-tailed 200,000", rounded_heavy_tailed(200000, 2));
  all.emplace_back("equally spaced 300", equally_spaced(300));
  all.emplace_back("equally spaced 1,000", equally_spaced(1000));
  all.emplace_back("symmetric 513", symmetric(513, 3));
  all.emplace_back("two points", unique_values({0.5, 0.5, -1.0}));
  all.emplace_back("one point", unique_values({0.25, 0.25, 0.25}));
  return all;
}

constexpr Index kClusterCounts[] = {1, 2, 3, 4, 8, 16, 64, 256};

TEST(DistinctPointsKMeans, OneLaneMatchesExactKMeans1D) {
  kmlut::ExactKMeans1D solver;
  kmlut::KMeans1DSolution expected;
  for (const auto& [label, problem] : problems()) {
    for (Index k : kClusterCounts) {
      solver.solve(problem.x.data(), problem.w.data(), problem.x.size(), static_cast<int>(k),
                   expected);
      const Solution got = solve_one_lane(problem, k);
      Solution reference;
      reference.ends.assign(expected.cluster_ends.begin(), expected.cluster_ends.end());
      reference.means = expected.centroids;
      expect_same(got, reference, label + ", k " + std::to_string(k));
    }
  }
}

TEST(DistinctPointsKMeans, ManyLanesMatchOneLane) {
  for (const auto& [label, problem] : problems()) {
    for (Index k : kClusterCounts) {
      if (problem.x.size() > 5000 && k > 16)
        continue;  // the thread barriers make large problems slow; one lane covers them above
      const Solution one = solve_one_lane(problem, k);
      for (unsigned lanes : {2u, 7u}) {
        expect_same(solve_threads(problem, k, lanes), one,
                    label + ", k " + std::to_string(k) + ", " + std::to_string(lanes) + " lanes");
      }
    }
  }
}

// Σ w·(x − mean)² of a partition, from the points.
double partition_cost(const Problem& problem, const std::vector<Index>& ends) {
  double cost = 0.0;
  std::size_t begin = 0;
  for (Index end : ends) {
    double weight = 0.0;
    double sum = 0.0;
    for (std::size_t i = begin; i < end; ++i) {
      weight += problem.w[i];
      sum += problem.w[i] * problem.x[i];
    }
    const double mean = sum / weight;
    for (std::size_t i = begin; i < end; ++i)
      cost += problem.w[i] * (problem.x[i] - mean) * (problem.x[i] - mean);
    begin = end;
  }
  return cost;
}

// The cheapest partition by trying every set of cluster boundaries.
double exhaustive_cost(const Problem& problem, Index k) {
  const auto n = static_cast<Index>(problem.x.size());
  double best = std::numeric_limits<double>::infinity();
  std::vector<Index> ends(k);
  const auto search = [&](auto& self, Index cluster, Index begin) -> void {
    if (cluster + 1 == k) {
      ends[cluster] = n;
      best = std::min(best, partition_cost(problem, ends));
      return;
    }
    for (Index end = begin + 1; end + (k - cluster - 1) <= n; ++end) {
      ends[cluster] = end;
      self(self, cluster + 1, end);
    }
  };
  search(search, 0, 0);
  return best;
}

TEST(DistinctPointsKMeans, CostIsOptimal) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> value(0.0, 1.0);
  std::uniform_int_distribution<int> count(1, 9);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<double> values;
    for (int i = 0; i < 6 + trial % 7; ++i) {
      const double v = std::round(value(rng) * 8.0) / 8.0;
      for (int c = count(rng); c > 0; --c)
        values.push_back(v);
    }
    const Problem problem = unique_values(values);
    for (Index k = 1; k <= 4; ++k) {
      const Solution got = solve_one_lane(problem, k);
      const double optimum =
          exhaustive_cost(problem, std::min(k, static_cast<Index>(problem.x.size())));
      EXPECT_NEAR(partition_cost(problem, got.ends), optimum, 1e-9 * (1.0 + optimum))
          << "trial " << trial << ", k " << k;
    }
  }
}

TEST(DistinctPointsKMeans, ClusterHoldingFindsEachPointsCluster) {
  const Problem problem = rounded_heavy_tailed(20000, 5);
  const Solution solution = solve_one_lane(problem, 16);
  Index cluster = 0;
  for (Index i = 0; i < problem.x.size(); ++i) {
    while (i >= solution.ends[cluster])
      ++cluster;
    ASSERT_EQ(
        kmlut::numeric::cluster_holding(problem.x.data(), solution.ends.data(), 16, problem.x[i]),
        cluster)
        << "point " << i;
  }
}

}  // namespace
