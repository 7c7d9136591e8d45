// Exact weighted 1-D k-means: a k-layer dynamic program whose every layer is a row-minima problem
// on a totally monotone matrix (the shared recurrence in kmlut/numeric/kmeans1d_dp.hpp). The
// partition is backtracked from an argmin table when that fits the budget, otherwise recovered
// Hirschberg-style in linear memory. docs/algorithm.md derives the method.
#include "kmlut/exact_kmeans1d.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "kmlut/numeric/cluster_cost.hpp"
#include "kmlut/numeric/kmeans1d_dp.hpp"

namespace kmlut {
namespace {

namespace dp = numeric::dp;
using dp::Index;
using numeric::UnweightedPrefixSums;
using numeric::WeightedPrefixSums;

// Positions run from 0 to n inclusive and must fit an Index.
constexpr std::size_t kMaxPoints = std::numeric_limits<Index>::max() - 1;

struct Workspace {
  double* rows[3];  // the third only for the linear-memory recovery
  Index* argmins;
  std::size_t argmin_capacity;
  Index* kept;
};

template <class PrefixSums>
class Partitioner {
 public:
  Partitioner(const PrefixSums& sums, const Workspace& workspace, std::size_t max_table_entries)
      : sums_(sums), work_(workspace), max_table_entries_(max_table_entries) {}

  // Writes the exclusive ends of an optimal partition of the points [begin, end) into `clusters`
  // contiguous clusters, 1 <= clusters <= end − begin.
  void partition(Index begin, Index end, Index clusters, std::size_t* ends) {
    const Index length = end - begin;
    if (clusters == 1) {
      ends[0] = end;
    } else if (clusters == length) {
      for (Index i = 0; i < clusters; ++i)
        ends[i] = begin + i + 1;
    } else if (table_fits(length, clusters)) {
      partition_by_table(begin, length, clusters, ends);
    } else {
      const Index split = best_split(begin, length, clusters);
      partition(begin, begin + split, clusters / 2, ends);
      partition(begin + split, end, clusters - clusters / 2, ends + clusters / 2);
    }
  }

 private:
  std::size_t table_entries(Index length, Index clusters) const {
    return std::size_t{clusters - 2} * (std::size_t{length} + 1);
  }
  bool table_fits(Index length, Index clusters) const {
    const std::size_t entries = table_entries(length, clusters);
    return entries <= work_.argmin_capacity && entries <= max_table_entries_;
  }

  void partition_by_table(Index begin, Index length, Index clusters, std::size_t* ends) {
    dp::CpuLane lane;
    dp::partition_by_table(lane, sums_, begin, length, clusters,
                           {{work_.rows[0], work_.rows[1]}, work_.argmins, work_.kept}, ends);
  }

  // Hirschberg's step: the costs of the best clusterings of every prefix into clusters/2 clusters
  // and of every suffix into the rest; the leftmost position minimising their sum is where an
  // optimal partition crosses from its first half of clusters to its second.
  Index best_split(Index begin, Index length, Index clusters) {
    const Index head = clusters / 2;
    const Index tail = clusters - head;
    const PrefixSums sums = sums_.shifted(begin);
    dp::CpuLane lane;
    const double* prefix_cost =
        dp::run_layers(lane, dp::ForwardLayer<PrefixSums>{sums, nullptr}, length, clusters, head,
                       work_.rows[0], work_.rows[1], work_.argmins, 0, work_.kept);
    double* free_row = prefix_cost == work_.rows[0] ? work_.rows[1] : work_.rows[0];
    const double* suffix_cost =
        dp::run_layers(lane, dp::BackwardLayer<PrefixSums>{sums, nullptr, length}, length, clusters,
                       tail, work_.rows[2], free_row, work_.argmins, 0, work_.kept);
    Index split = head;
    double best = prefix_cost[head] + suffix_cost[length - head];
    for (Index s = head + 1; s <= length - tail; ++s) {
      const double value = prefix_cost[s] + suffix_cost[length - s];
      if (value < best) {
        best = value;
        split = s;
      }
    }
    return split;
  }

  PrefixSums sums_;
  Workspace work_;
  std::size_t max_table_entries_;
};

void validate(const double* x, const double* w, std::size_t n, int k) {
  if (k < 1)
    throw std::invalid_argument("ExactKMeans1D: k must be >= 1, got " + std::to_string(k));
  if (n == 0)
    throw std::invalid_argument("ExactKMeans1D: no points to cluster");
  if (n > kMaxPoints) {
    throw std::invalid_argument("ExactKMeans1D: " + std::to_string(n) + " points, at most " +
                                std::to_string(kMaxPoints) + " supported");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      throw std::invalid_argument("ExactKMeans1D: point " + std::to_string(i) + " is not finite");
    }
    if (i > 0 && x[i] < x[i - 1]) {
      throw std::invalid_argument("ExactKMeans1D: points are not sorted ascending at index " +
                                  std::to_string(i));
    }
    if (w != nullptr && !(w[i] > 0.0 && std::isfinite(w[i]))) {
      throw std::invalid_argument("ExactKMeans1D: weight " + std::to_string(i) +
                                  " must be positive and finite");
    }
  }
}

std::size_t count_distinct(const double* x, std::size_t n) {
  std::size_t distinct = 1;
  for (std::size_t i = 1; i < n; ++i)
    distinct += x[i] != x[i - 1];
  return distinct;
}

// At least as many clusters as distinct values: the optimum costs 0 and puts every run of equal
// values in clusters of its own. The extra clusters split runs at the leftmost positions, the
// partition a leftmost-argmin DP over the raw points picks among these equal-cost optima.
void split_runs(const double* x, std::size_t n, std::size_t extra, std::size_t* ends) {
  std::size_t j = 0;
  for (std::size_t p = 1; p < n; ++p) {
    if (x[p] != x[p - 1]) {
      ends[j++] = p;
    } else if (extra > 0) {
      ends[j++] = p;
      --extra;
    }
  }
  ends[j] = n;
}

double direct_sse(const double* x, const double* w, const std::vector<double>& centroids,
                  const std::vector<std::size_t>& ends) {
  double sse = 0.0;
  std::size_t i = 0;
  for (std::size_t j = 0; j < centroids.size(); ++j) {
    for (; i < ends[j]; ++i) {
      const double d = x[i] - centroids[j];
      sse += (w == nullptr ? 1.0 : w[i]) * d * d;
    }
  }
  return sse;
}

}  // namespace

struct ExactKMeans1D::Impl {
  void solve(const double* x, const double* w, std::size_t n, int k, KMeans1DSolution& out);
  void partition_runs(const double* x, const double* w, std::size_t n, std::size_t distinct,
                      std::size_t clusters, std::size_t* ends);
  template <class PrefixSums>
  void partition(const PrefixSums& sums, std::size_t points, std::size_t clusters,
                 std::size_t* ends);

  ExactKMeans1DOptions options_;
  std::vector<double> prefix_sums_;
  std::vector<std::uint32_t> run_starts_;
  std::vector<double> rows_;
  std::vector<std::uint32_t> argmins_;
  std::vector<std::uint32_t> columns_;
};

ExactKMeans1D::ExactKMeans1D(ExactKMeans1DOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options_ = options;
}
ExactKMeans1D::~ExactKMeans1D() = default;
ExactKMeans1D::ExactKMeans1D(ExactKMeans1D&&) noexcept = default;
ExactKMeans1D& ExactKMeans1D::operator=(ExactKMeans1D&&) noexcept = default;

KMeans1DSolution ExactKMeans1D::solve(const double* x, const double* w, std::size_t n, int k) {
  KMeans1DSolution out;
  impl_->solve(x, w, n, k, out);
  return out;
}

void ExactKMeans1D::solve(const double* x, const double* w, std::size_t n, int k,
                          KMeans1DSolution& out) {
  impl_->solve(x, w, n, k, out);
}

void ExactKMeans1D::Impl::solve(const double* x, const double* w, std::size_t n, int k,
                                KMeans1DSolution& out) {
  validate(x, w, n, k);
  const std::size_t clusters = std::min(static_cast<std::size_t>(k), n);
  out.cluster_ends.resize(clusters);
  std::size_t* ends = out.cluster_ends.data();
  const std::size_t distinct = count_distinct(x, n);
  if (clusters >= distinct) {
    split_runs(x, n, clusters - distinct, ends);
  } else if (distinct <= n / 2) {
    partition_runs(x, w, n, distinct, clusters, ends);
  } else if (w == nullptr) {
    prefix_sums_.resize(2 * (n + 1));
    double* sum_x = prefix_sums_.data();
    numeric::fill_prefix_sums(x, n, sum_x, sum_x + n + 1);
    partition(UnweightedPrefixSums{sum_x, sum_x + n + 1}, n, clusters, ends);
  } else {
    prefix_sums_.resize(3 * (n + 1));
    double* sum_w = prefix_sums_.data();
    numeric::fill_prefix_sums(x, w, n, sum_w, sum_w + n + 1, sum_w + 2 * (n + 1));
    partition(WeightedPrefixSums{sum_w, sum_w + n + 1, sum_w + 2 * (n + 1)}, n, clusters, ends);
  }
  out.centroids.resize(clusters);
  numeric::cluster_means(x, w, ends, clusters, out.centroids.data());
  // From the points themselves: the prefix-sum costs cancel catastrophically.
  out.sse = direct_sse(x, w, out.centroids, out.cluster_ends);
}

// Many duplicates (a bf16 tensor has at most 65,536 distinct values among millions): the DP runs
// on one point per run of equal values, weighted by the run's total weight. An optimum never
// splits a run unless an equal-cost alternative keeps it whole, so the optimal SSE is unchanged.
void ExactKMeans1D::Impl::partition_runs(const double* x, const double* w, std::size_t n,
                                         std::size_t distinct, std::size_t clusters,
                                         std::size_t* ends) {
  const std::size_t positions = distinct + 1;
  run_starts_.resize(positions);
  prefix_sums_.resize(5 * positions);
  double* values = prefix_sums_.data();
  double* weights = values + positions;
  std::size_t run = 0;
  for (std::size_t i = 0; i < n; ++run) {
    run_starts_[run] = static_cast<std::uint32_t>(i);
    values[run] = x[i];
    double weight = 0.0;
    for (const double value = x[i]; i < n && x[i] == value; ++i)
      weight += w == nullptr ? 1.0 : w[i];
    weights[run] = weight;
  }
  run_starts_[distinct] = static_cast<std::uint32_t>(n);
  double* sum_w = weights + positions;
  numeric::fill_prefix_sums(values, weights, distinct, sum_w, sum_w + positions,
                            sum_w + 2 * positions);
  partition(WeightedPrefixSums{sum_w, sum_w + positions, sum_w + 2 * positions}, distinct, clusters,
            ends);
  for (std::size_t j = 0; j < clusters; ++j)
    ends[j] = run_starts_[ends[j]];
}

template <class PrefixSums>
void ExactKMeans1D::Impl::partition(const PrefixSums& sums, std::size_t points,
                                    std::size_t clusters, std::size_t* ends) {
  const std::size_t positions = points + 1;
  const std::size_t table = clusters > 2 ? (clusters - 2) * positions : 0;
  const bool use_table = table <= options_.max_table_entries;
  // The linear-memory recovery holds a third DP row; its argmin scratch (one row) also serves as
  // the table of every sub-range whose table fits in it.
  rows_.resize((use_table ? 2 : 3) * positions);
  argmins_.resize(use_table ? std::max<std::size_t>(table, 1) : positions);
  columns_.resize(dp::kept_capacity(positions));
  const Workspace workspace{
      {rows_.data(), rows_.data() + positions, use_table ? nullptr : rows_.data() + 2 * positions},
      argmins_.data(),
      argmins_.size(),
      columns_.data()};
  Partitioner<PrefixSums>(sums, workspace, options_.max_table_entries)
      .partition(0, static_cast<Index>(points), static_cast<Index>(clusters), ends);
}

}  // namespace kmlut
