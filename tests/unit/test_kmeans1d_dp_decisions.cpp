// Every decision of the exact 1-D k-means DP (kmlut/numeric/kmeans1d_dp.hpp) against its
// definition: the argmin of layer l at row r is the leftmost minimum of
// D_{l−1}[c] + cost(c, r) over every column c, found here by scanning them all (O(k·n²)) on the
// same prefix sums with the same cost arithmetic. kmeans1d (which coremltools and coreai_opt call)
// computes these leftmost row minima too, so ties must break this way to give its LUTs
// (docs/algorithm.md, "Ties"). The inputs are chosen for exact ties: equally spaced points,
// symmetric grids, small integer weights, duplicates, fp16 values with histogram counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kmlut/exact_kmeans1d.hpp"
#include "kmlut/numeric/cluster_cost.hpp"
#include "kmlut/numeric/fp16.hpp"
#include "kmlut/numeric/kmeans1d_dp.hpp"
#include "unit/thread_lanes.hpp"

namespace {

namespace dp = kmlut::numeric::dp;
using dp::Index;
using kmlut::numeric::UnweightedPrefixSums;
using kmlut::numeric::WeightedPrefixSums;
using Rng = std::mt19937_64;

struct Points {
  std::string kind;
  std::vector<double> x;  // ascending
  std::vector<double> w;  // empty: every point weighs 1
};

// The leftmost-minimum DP by exhaustive row scans: argmins[l][r] for layers 2..k − 1 and rows
// [l, l + n − k], and the clusters' exclusive ends after backtracking from the last layer at n.
struct Decisions {
  std::vector<std::vector<Index>> argmins;
  std::vector<std::size_t> ends;
};

template <class PrefixSums>
Decisions exhaustive_decisions(const PrefixSums& sums, Index n, Index k) {
  const double infinity = std::numeric_limits<double>::infinity();
  std::vector<double> previous(n + 1, infinity);
  std::vector<double> current(n + 1, infinity);
  for (Index r = 1; r <= n; ++r)
    previous[r] = sums.cost(0, r);
  Decisions decisions;
  decisions.argmins.assign(k + 1, std::vector<Index>(n + 1, 0));
  for (Index l = 2; l <= k; ++l) {
    // The last layer is only needed at n; the others at the rows the solver computes.
    const Index first_row = l == k ? n : l;
    for (Index r = first_row; r <= l + n - k; ++r) {
      Index best_column = l - 1;
      double best = previous[l - 1] + sums.cost(l - 1, r);
      for (Index c = l; c < r; ++c) {
        const double value = previous[c] + sums.cost(c, r);
        if (value < best) {
          best = value;
          best_column = c;
        }
      }
      current[r] = best;
      decisions.argmins[l][r] = best_column;
    }
    std::swap(previous, current);
  }
  decisions.ends.assign(k, n);
  Index start = n;
  for (Index l = k; l >= 2; --l) {
    start = decisions.argmins[l][start];
    decisions.ends[l - 2] = start;
  }
  return decisions;
}

// dp::partition_by_table on `lanes` lanes: its argmin table and the ends it backtracks.
template <class PrefixSums>
Decisions table_decisions(const PrefixSums& sums, Index n, Index k, unsigned lanes) {
  const std::size_t stride = std::size_t{n} + 1;
  std::vector<double> rows(2 * stride);
  std::vector<Index> table(std::max<std::size_t>(std::size_t{k - 2} * stride, 1));
  std::vector<Index> kept(dp::kept_capacity(stride));
  std::vector<Index> ends(k);
  const dp::TableWorkspace work{{rows.data(), rows.data() + stride}, table.data(), kept.data()};
  auto solve = [&](auto& cta) { dp::partition_by_table(cta, sums, 0, n, k, work, ends.data()); };
  if (lanes == 1) {
    dp::CpuLane lane;
    solve(lane);
  } else {
    kmlut::test::run_on_threads(lanes, solve);
  }
  Decisions decisions;
  decisions.argmins.assign(k + 1, std::vector<Index>(n + 1, 0));
  for (Index l = 2; l < k; ++l) {
    for (Index r = l; r <= l + n - k; ++r)
      decisions.argmins[l][r] = table[std::size_t{l - 2} * stride + r];
  }
  decisions.argmins[k][n] = ends[k - 2];
  decisions.ends.assign(ends.begin(), ends.end());
  return decisions;
}

std::string first_difference(const Decisions& expected, const Decisions& actual, Index n, Index k) {
  for (Index l = 2; l < k; ++l) {
    for (Index r = l; r <= l + n - k; ++r) {
      if (expected.argmins[l][r] != actual.argmins[l][r]) {
        return "layer " + std::to_string(l) + " row " + std::to_string(r) + ": leftmost minimum " +
               std::to_string(expected.argmins[l][r]) + ", solver " +
               std::to_string(actual.argmins[l][r]);
      }
    }
  }
  return expected.ends == actual.ends ? "" : "same argmins, different ends";
}

// ---------------------------------------------------------------------------------------------
// Inputs where exact ties are frequent.

Points equally_spaced(Index n, Rng& rng, bool weighted) {
  Points p{weighted ? "equally spaced, weights 1..3" : "equally spaced", {}, {}};
  std::uniform_int_distribution<int> weight(1, 3);
  for (Index i = 0; i < n; ++i) {
    p.x.push_back(static_cast<double>(i));
    if (weighted)
      p.w.push_back(weight(rng));
  }
  return p;
}

// A grid symmetric about 0 with a non-integer step: mirror-image partitions cost the same.
Points symmetric_grid(Index n) {
  Points p{"symmetric grid", {}, {}};
  for (Index i = 0; i < n; ++i)
    p.x.push_back(0.125 * (2.0 * i - (n - 1.0)));
  return p;
}

// Distinct fp16 values of a Gaussian weight tensor with their counts, as a block's histogram
// gives them (the unique-value path and the CUDA kernel's input).
Points fp16_histogram(Index n, Rng& rng) {
  std::normal_distribution<float> gauss(0.0f, 0.02f);
  std::set<double> values;
  while (values.size() < n)
    values.insert(
        kmlut::numeric::half_bits_to_float(kmlut::numeric::float_to_half_bits(gauss(rng))));
  Points p{"fp16 values with counts", {values.begin(), values.end()}, {}};
  std::geometric_distribution<int> count(0.05);
  for (Index i = 0; i < n; ++i)
    p.w.push_back(1.0 + count(rng));
  return p;
}

// Raw points with some values repeated, more than half of them distinct (so the DP runs on the
// points themselves and a run may be split at no cost), unweighted or weighted.
Points with_duplicates(Index n, Rng& rng, bool weighted) {
  std::uniform_int_distribution<int> level(0, static_cast<int>(n));
  Points p{weighted ? "duplicates, weighted" : "duplicates", {}, {}};
  std::set<int> distinct;
  while (p.x.size() < n) {
    const int v = level(rng);
    distinct.insert(v);
    p.x.push_back(0.25 * v);
  }
  std::sort(p.x.begin(), p.x.end());
  if (2 * distinct.size() <= n)
    return with_duplicates(n, rng, weighted);
  if (weighted) {
    std::uniform_int_distribution<int> weight(1, 4);
    for (Index i = 0; i < n; ++i)
      p.w.push_back(weight(rng));
  }
  return p;
}

Points gaussian_float32(Index n, Rng& rng) {
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  Points p{"float32 Gaussian", {}, {}};
  for (Index i = 0; i < n; ++i)
    p.x.push_back(gauss(rng));
  std::sort(p.x.begin(), p.x.end());
  return p;
}

// Cauchy float32 values: outliers take clusters of their own and leave the bulk few, large ones,
// so a layer's argmins shift far from the previous layer's and the Knuth-bounded scans give up.
Points cauchy_float32(Index n, Rng& rng) {
  std::cauchy_distribution<float> cauchy(0.0f, 1.0f);
  Points p{"float32 Cauchy", {}, {}};
  for (Index i = 0; i < n; ++i)
    p.x.push_back(cauchy(rng));
  std::sort(p.x.begin(), p.x.end());
  return p;
}

Points draw_points(int family, Index n, Rng& rng) {
  switch (family) {
    case 0:
      return equally_spaced(n, rng, false);
    case 1:
      return equally_spaced(n, rng, true);
    case 2:
      return symmetric_grid(n);
    case 3:
      return fp16_histogram(n, rng);
    case 4:
      return with_duplicates(n, rng, false);
    case 5:
      return with_duplicates(n, rng, true);
    case 6:
      return gaussian_float32(n, rng);
    default:
      return cauchy_float32(n, rng);
  }
}
constexpr int kFamilies = 8;

// Checks one problem: the argmin table on one lane (SMAWK and Knuth's sequential scans) and, up to
// `max_n_on_lanes` points, on three and eight (divide and conquer, rows shared by teams of lanes of
// every size from 1 to 8; the thread barriers make large problems slow; small ones cover every
// branch), and
// ExactKMeans1D's partition with its default, table-only and linear-memory recovery.
template <class PrefixSums>
void expect_leftmost_decisions(const Points& p, const PrefixSums& sums, Index k,
                               Index max_n_on_lanes) {
  const auto n = static_cast<Index>(p.x.size());
  const std::string label = p.kind + ", n " + std::to_string(n) + ", k " + std::to_string(k);
  const Decisions expected = exhaustive_decisions(sums, n, k);
  for (unsigned lanes : {1u, 3u, 8u}) {
    if (lanes > 1 && n > max_n_on_lanes)
      continue;
    const std::string difference =
        first_difference(expected, table_decisions(sums, n, k, lanes), n, k);
    ASSERT_EQ(difference, "") << label << ", " << lanes << " lane(s)";
  }
  for (const std::size_t table_entries : {std::size_t{1} << 26, std::size_t{0}}) {
    kmlut::ExactKMeans1D solver({table_entries});
    const kmlut::KMeans1DSolution solution =
        solver.solve(p.x.data(), p.w.empty() ? nullptr : p.w.data(), n, static_cast<int>(k));
    ASSERT_EQ(solution.cluster_ends, expected.ends)
        << label << ", max_table_entries " << table_entries;
  }
}

void expect_leftmost_decisions(const Points& p, Index k, Index max_n_on_lanes = 64) {
  const std::size_t n = p.x.size();
  std::vector<double> sums(3 * (n + 1));
  if (p.w.empty()) {
    kmlut::numeric::fill_prefix_sums(p.x.data(), n, sums.data(), sums.data() + n + 1);
    expect_leftmost_decisions(p, UnweightedPrefixSums{sums.data(), sums.data() + n + 1}, k,
                              max_n_on_lanes);
  } else {
    kmlut::numeric::fill_prefix_sums(p.x.data(), p.w.data(), n, sums.data(), sums.data() + n + 1,
                                     sums.data() + 2 * (n + 1));
    expect_leftmost_decisions(
        p, WeightedPrefixSums{sums.data(), sums.data() + n + 1, sums.data() + 2 * (n + 1)}, k,
        max_n_on_lanes);
  }
}

TEST(Kmeans1dDpDecisions, TinyProblemsEveryK) {
  Rng rng(11);
  for (Index n = 3; n <= 12; ++n) {
    for (Index k = 2; k < n; ++k) {
      for (int family = 0; family < kFamilies; ++family)
        expect_leftmost_decisions(draw_points(family, n, rng), k);
    }
  }
}

TEST(Kmeans1dDpDecisions, RandomSizesAndClusterCounts) {
  Rng rng(12);
  std::uniform_int_distribution<Index> size(13, 200);
  for (int trial = 0; trial < 140; ++trial) {
    const Index n = size(rng);
    std::uniform_int_distribution<Index> clusters(2, n - 1);
    expect_leftmost_decisions(draw_points(trial % kFamilies, n, rng), clusters(rng));
  }
}

// The LUT sizes of 1- to 8-bit palettes, up to 256 clusters, on a few hundred points.
TEST(Kmeans1dDpDecisions, PaletteSizesUpTo256) {
  Rng rng(13);
  for (const Index k : {2u, 4u, 8u, 16u, 32u, 64u, 128u, 256u}) {
    for (int family = 0; family < kFamilies; ++family)
      expect_leftmost_decisions(draw_points(family, k + 45, rng), k);
  }
}

// Past the one-row SMAWK levels: layers of several hundred rows, where SMAWK proper runs on every
// 32nd row and the interpolation windows grow.
TEST(Kmeans1dDpDecisions, LayersOfHundredsOfRows) {
  Rng rng(14);
  for (int family = 0; family < kFamilies; ++family) {
    for (const Index k : {3u, 16u})
      expect_leftmost_decisions(draw_points(family, 700, rng), k);
  }
}

// Block-sized problems, where one lane takes the strided Knuth scans (every 32nd row between
// Knuth's bounds, the finer levels from the previous layer's argmin on) in the layers with
// 16 < n / (l·(l − 1)) <= 64, and the stride-1 scans after them: a group-16 block's fp16 values
// with counts, equally spaced points (exact ties) and Gaussian float32 values.
TEST(Kmeans1dDpDecisions, StridedKnuthLayersOnBlockSizedProblems) {
  Rng rng(17);
  for (const int family : {1, 3, 6}) {
    const Points p = draw_points(family, 1500, rng);
    for (const Index k : {8u, 16u})
      expect_leftmost_decisions(p, k);
  }
}

// Heavy tails, where the Knuth-bounded scans exceed their budget and SMAWK redoes the layer: the
// lanes must agree on that, and the decisions stay the leftmost minima.
TEST(Kmeans1dDpDecisions, HeavyTailsOnOneAndThreeLanes) {
  Rng rng(16);
  for (int trial = 0; trial < 3; ++trial) {
    const Points p = cauchy_float32(400, rng);
    for (const Index k : {16u, 40u, 64u})
      expect_leftmost_decisions(p, k, 400);
  }
}

}  // namespace
