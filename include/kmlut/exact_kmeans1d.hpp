// Exact (globally optimal) weighted 1-D k-means on sorted points: the scalar palettization solver
// (docs/architecture.md §5.5). The optimum is a partition of the sorted points into contiguous
// clusters that minimises Σ w·(x − c)², c being each cluster's weighted mean. docs/algorithm.md
// describes the method, its memory bound and how ties are broken.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace kmlut {

struct KMeans1DSolution {
  // Weighted means of the clusters, k_effective = min(k, n) entries, ascending. Clusters holding
  // copies of one value (k above the number of distinct values) may differ in the last bit.
  std::vector<double> centroids;
  // Exclusive end (index into the sorted points) of each cluster; the last one is n.
  std::vector<std::size_t> cluster_ends;
  // Σ w·(x − c)², recomputed from the points rather than from prefix sums.
  double sse = 0.0;
};

struct ExactKMeans1DOptions {
  // Largest argmin table (4-byte entries, about k × n of them) the solver keeps to backtrack after
  // a single DP pass. A larger problem is split Hirschberg-style in O(n) memory, in about twice
  // the time. 0 forces the linear-memory recovery, SIZE_MAX forces the table.
  std::size_t max_table_entries = std::size_t{1} << 26;  // 256 MiB
};

// Holds workspace between solves, so solving thousands of small blocks allocates only when a
// block is larger than every one before it. Not thread-safe: use one solver per thread.
class ExactKMeans1D {
 public:
  explicit ExactKMeans1D(ExactKMeans1DOptions options = {});
  ~ExactKMeans1D();
  ExactKMeans1D(ExactKMeans1D&&) noexcept;
  ExactKMeans1D& operator=(ExactKMeans1D&&) noexcept;

  // `x`: n points, non-decreasing and finite. `w`: n positive finite weights, or nullptr when
  // every point weighs 1. k >= 1 is clamped to n; every cluster is non-empty, and with k above
  // the number of distinct values the extra clusters split runs of equal values. When at most
  // half of the points are distinct, runs of equal values are clustered as single weighted
  // points. Among equal-cost optima the one with the leftmost cluster boundaries is returned.
  // Throws std::invalid_argument for k < 1, n == 0, n >= 2^32 - 1, unsorted or non-finite
  // points and non-positive or non-finite weights.
  KMeans1DSolution solve(const double* x, const double* w, std::size_t n, int k);
  // The same, reusing the vectors of `out`.
  void solve(const double* x, const double* w, std::size_t n, int k, KMeans1DSolution& out);

 private:
  struct Impl;  // the options and the workspace kept between solves
  std::unique_ptr<Impl> impl_;
};

}  // namespace kmlut
