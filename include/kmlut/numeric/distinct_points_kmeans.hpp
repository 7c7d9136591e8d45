// Exact k-means of a block's weighted unique values: n distinct ascending points with positive
// weights (the counts of a fast-mode histogram), as ExactKMeans1D::solve clusters them, on the
// lanes of a Cta policy (kmeans1d_dp.hpp). The CUDA backend runs it with one thread block per
// block of a tensor; the unit tests run it on CPU threads against ExactKMeans1D.
//
// Which of the solver's branches applies follows from the points being distinct: k >= n gives
// every point its own cluster, k = 1 one cluster, and otherwise the argmin table, which
// ExactKMeans1D always uses at this size ((256 − 2) · (65,536 + 1) entries are below its default
// max_table_entries). Runs of equal values never occur, so they are never merged.
#pragma once

#include <cstddef>

#include "kmlut/numeric/cluster_cost.hpp"
#include "kmlut/numeric/host_device.hpp"
#include "kmlut/numeric/kmeans1d_dp.hpp"
#include "kmlut/numeric/lane_prefix_sums.hpp"

namespace kmlut::numeric {

// A fast-mode histogram has 65,536 bins, so a block has at most this many unique values.
constexpr std::size_t kMaxDistinctPoints = std::size_t{1} << 16;

struct DistinctPointsWorkspace {
  double* prefix_sums;  // 3 · (n + 1) entries: Σ w, Σ w·x, Σ w·x²
  dp::TableWorkspace table;
};

// The workspace entries a problem of n points and k clusters needs, for sizing buffers.
struct DistinctPointsWorkspaceSize {
  std::size_t doubles;  // prefix sums and the two DP rows
  std::size_t indices;  // the argmin table and the SMAWK column lists
};

KMLUT_HD inline DistinctPointsWorkspaceSize distinct_points_workspace_size(std::size_t n,
                                                                           std::size_t k) {
  const std::size_t clusters = k < n ? k : n;
  const std::size_t table = clusters > 2 ? (clusters - 2) * (n + 1) : 1;
  return {5 * (n + 1), table + dp::kept_capacity(n + 1)};
}

// Lays the workspace of one problem out in the given buffers (sized as above).
KMLUT_HD inline DistinctPointsWorkspace distinct_points_workspace(double* doubles,
                                                                  dp::Index* indices, std::size_t n,
                                                                  std::size_t k) {
  const std::size_t clusters = k < n ? k : n;
  const std::size_t table = clusters > 2 ? (clusters - 2) * (n + 1) : 1;
  double* const rows = doubles + 3 * (n + 1);
  return {doubles, {{rows, rows + n + 1}, indices, indices + table}};
}

// Clusters x[0..n) (distinct, ascending, finite) weighted by w (positive) into min(k, n)
// clusters: their exclusive ends into ends[] and their weighted means into means[], visible to
// every lane on return. Returns the number of clusters. n <= kMaxDistinctPoints.
template <class Cta>
KMLUT_HD dp::Index solve_distinct_points(Cta& cta, const double* x, const double* w, dp::Index n,
                                         dp::Index k, const DistinctPointsWorkspace& work,
                                         dp::Index* ends, double* means) {
  const dp::Index clusters = k < n ? k : n;
  double* const sum_w = work.prefix_sums;
  double* const sum_wx = sum_w + n + 1;
  double* const sum_wxx = sum_wx + n + 1;
  // The two DP rows (contiguous) are the lanes' scratch before the layers need them.
  fill_prefix_sums_on_lanes(cta, x, w, n, sum_w, sum_wx, sum_wxx, work.table.rows[0]);
  if (clusters == n) {
    for (dp::Index j = cta.rank(); j < clusters; j += cta.size())
      ends[j] = j + 1;
  } else if (clusters == 1) {
    if (cta.is_leader())
      ends[0] = n;
  } else {
    dp::partition_by_table(cta, WeightedPrefixSums{sum_w, sum_wx, sum_wxx}, 0, n, clusters,
                           work.table, ends);
  }
  cta.sync();
  // Each cluster's running mean starts from the prefix sum of w at its first point, the value the
  // CPU's single pass over all clusters has accumulated there.
  for (dp::Index j = cta.rank(); j < clusters; j += cta.size()) {
    const dp::Index begin = j == 0 ? 0 : ends[j - 1];
    double sum_w_before = sum_w[begin];
    means[j] = running_mean(x, w, begin, ends[j], sum_w_before);
  }
  cta.sync();
  return clusters;
}

// The cluster holding `value`, one of the points: the first whose largest point is not below it.
// Clusters are contiguous runs of the ascending points, so a binary search over their last points
// finds it.
KMLUT_HD inline dp::Index cluster_holding(const double* x, const dp::Index* ends,
                                          dp::Index clusters, double value) {
  dp::Index low = 0;
  dp::Index count = clusters;
  while (count > 0) {
    const dp::Index half = count / 2;
    if (x[ends[low + half] - 1] < value) {
      low += half + 1;
      count -= half + 1;
    } else {
      count = half;
    }
  }
  return low;
}

}  // namespace kmlut::numeric
