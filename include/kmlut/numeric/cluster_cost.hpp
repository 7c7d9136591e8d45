// The cost and the centroid of one contiguous cluster of sorted 1-D points, from prefix sums of
// w, w·x and w·x². The exact k-means solver on the CPU and the CUDA kernels share this file: the
// DP's decisions and the LUT entries then come from bit-identical arithmetic on both backends.
//
// Every expression follows the operation order of kmeans1d (the solver coremltools and coreai_opt
// call), so equal inputs give equal costs and near-ties in the DP break the same way. A parallel
// scan or a fused multiply-add changes the rounding: prefix sums are accumulated one point after
// the other, and device code must be compiled without FMA contraction (nvcc -fmad=false).
#pragma once

#include <cstddef>

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

// Σ w·(x − mean)² of a cluster with total weight `weight` = Σ w, `sum_wx` = Σ w·x and
// `sum_wxx` = Σ w·x². Algebraically Σ w·x² − (Σ w·x)² / Σ w; it cancels when the cluster is far
// from the origin relative to its spread, so callers report an SSE recomputed from the points.
KMLUT_HD inline double cluster_cost(double weight, double sum_wx, double sum_wxx) {
  const double mean = sum_wx / weight;
  return sum_wxx + weight * (mean * mean) - (2.0 * mean) * sum_wx;
}

// Prefix sums of points that all weigh 1: sum_x[i] = x[0] + … + x[i−1] (n + 1 entries, sum_x[0] =
// 0), likewise sum_xx of x². The weight of a range is its length, so no array of weights is kept.
struct UnweightedPrefixSums {
  const double* sum_x;
  const double* sum_xx;

  KMLUT_HD double weight(std::size_t begin, std::size_t end) const {
    return static_cast<double>(end - begin);
  }
  // The cost of the points [begin, end), begin < end.
  KMLUT_HD double cost(std::size_t begin, std::size_t end) const {
    return cluster_cost(weight(begin, end), sum_x[end] - sum_x[begin], sum_xx[end] - sum_xx[begin]);
  }
  // The same sums seen from point `offset` on: index 0 becomes point `offset`.
  KMLUT_HD UnweightedPrefixSums shifted(std::size_t offset) const {
    return {sum_x + offset, sum_xx + offset};
  }
};

// Prefix sums of weighted points: sum_w of w, sum_wx of w·x, sum_wxx of w·x² (n + 1 entries each).
struct WeightedPrefixSums {
  const double* sum_w;
  const double* sum_wx;
  const double* sum_wxx;

  KMLUT_HD double weight(std::size_t begin, std::size_t end) const {
    return sum_w[end] - sum_w[begin];
  }
  KMLUT_HD double cost(std::size_t begin, std::size_t end) const {
    return cluster_cost(weight(begin, end), sum_wx[end] - sum_wx[begin],
                        sum_wxx[end] - sum_wxx[begin]);
  }
  KMLUT_HD WeightedPrefixSums shifted(std::size_t offset) const {
    return {sum_w + offset, sum_wx + offset, sum_wxx + offset};
  }
};

KMLUT_HD inline void fill_prefix_sums(const double* x, std::size_t n, double* sum_x,
                                      double* sum_xx) {
  sum_x[0] = 0.0;
  sum_xx[0] = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sum_x[i + 1] = x[i] + sum_x[i];
    sum_xx[i + 1] = x[i] * x[i] + sum_xx[i];
  }
}

KMLUT_HD inline void fill_prefix_sums(const double* x, const double* w, std::size_t n,
                                      double* sum_w, double* sum_wx, double* sum_wxx) {
  sum_w[0] = 0.0;
  sum_wx[0] = 0.0;
  sum_wxx[0] = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sum_w[i + 1] = w[i] + sum_w[i];
    sum_wx[i + 1] = w[i] * x[i] + sum_wx[i];
    sum_wxx[i + 1] = w[i] * x[i] * x[i] + sum_wxx[i];
  }
}

// The weighted mean of the sorted points [begin, end) as a running mean in kmeans1d's order, a
// point's weight and the weight so far taken as differences of the running prefix sum of w, as the
// reference does: equal partitions then give LUT entries that round to the same float32/fp16
// values as the reference's. `sum_w` holds Σ w of the points before `begin`, accumulated as
// fill_prefix_sums does (so sum_w[begin] of its array), and is advanced to `end`. `w` == nullptr:
// every point weighs 1.
KMLUT_HD inline double running_mean(const double* x, const double* w, std::size_t begin,
                                    std::size_t end, double& sum_w) {
  const double sum_w_begin = sum_w;
  double mean = 0.0;
  for (std::size_t i = begin; i < end; ++i) {
    if (w == nullptr) {
      mean += (x[i] - mean) * 1.0 / static_cast<double>(i + 1 - begin);
    } else {
      const double next = w[i] + sum_w;
      mean += (x[i] - mean) * (next - sum_w) / (next - sum_w_begin);
      sum_w = next;
    }
  }
  return mean;
}

// The weighted means of consecutive clusters of sorted points, cluster j ending (exclusive) at
// ends[j], the last at n. One pass over the points, no storage.
KMLUT_HD inline void cluster_means(const double* x, const double* w, const std::size_t* ends,
                                   std::size_t clusters, double* means) {
  double sum_w = 0.0;
  std::size_t begin = 0;
  for (std::size_t j = 0; j < clusters; ++j) {
    means[j] = running_mean(x, w, begin, ends[j], sum_w);
    begin = ends[j];
  }
}

}  // namespace kmlut::numeric
