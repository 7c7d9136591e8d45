// Exact weighted 1-D k-means: a k-layer dynamic program whose every layer is a row-minima problem
// on a totally monotone matrix, solved with SMAWK in linear time. The partition is backtracked
// from an argmin table when that fits the budget, otherwise recovered Hirschberg-style in linear
// memory. docs/algorithm.md derives the method.
#include "kmlut/exact_kmeans1d.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "kmlut/numeric/cluster_cost.hpp"

namespace kmlut {
namespace {

using Index = std::uint32_t;
using numeric::UnweightedPrefixSums;
using numeric::WeightedPrefixSums;

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Positions run from 0 to n inclusive and must fit an Index.
constexpr std::size_t kMaxPoints = std::numeric_limits<Index>::max() - 1;

// One DP layer as a matrix over a range of points: entry (r, c), c < r, is the cost of the
// previous layer's clusters covering the first c points plus one more cluster [c, r). The solver
// reads c >= r as +infinity, which keeps the matrix totally monotone (docs/algorithm.md).
template <class PrefixSums>
struct ForwardLayer {
  PrefixSums sums;  // shifted so that index 0 is the range's first point
  const double* prev;

  double first(Index r) const { return sums.cost(0, r); }
  double operator()(Index r, Index c) const { return prev[c] + sums.cost(c, r); }
};

// The mirror image, clustering suffixes: r and c count points back from the range's end, so the
// matrix has the forward one's shape and the same row-minima solver applies.
template <class PrefixSums>
struct BackwardLayer {
  PrefixSums sums;
  const double* prev;
  Index end;

  double first(Index r) const { return sums.cost(end - r, end); }
  double operator()(Index r, Index c) const { return prev[c] + sums.cost(end - r, end - c); }
};

template <class Layer>
double entry(const Layer& layer, Index r, Index c) {
  return c < r ? layer(r, c) : kInfinity;
}

// The rows first + t·stride, t < count, of one SMAWK level; the next level keeps the odd ones.
struct Rows {
  Index first;
  Index stride;
  Index count;

  Index operator[](Index t) const { return first + t * stride; }
  Rows odd() const { return {first + stride, 2 * stride, count / 2}; }
};

// A level's columns: a contiguous range at the top level (never materialised), a list below.
// index_of(c, from) finds column c at or after position `from`.
struct ColumnRange {
  Index first;
  Index operator[](Index t) const { return first + t; }
  Index index_of(Index c, Index) const { return c - first; }
};
struct ColumnList {
  const Index* at;
  Index operator[](Index t) const { return at[t]; }
  Index index_of(Index c, Index from) const {
    while (at[from] != c)
      ++from;
    return from;
  }
};

// SMAWK's REDUCE: keeps at most rows.count columns that can hold a leftmost row minimum, in
// `kept`. Ties keep the earlier column. `stack_values[p]` caches entry (rows[p], kept[p]).
template <class Layer, class Columns>
Index reduce(const Layer& layer, Rows rows, Columns columns, Index column_count, Index* kept,
             double* stack_values) {
  Index size = 0;
  for (Index t = 0; t < column_count; ++t) {
    const Index c = columns[t];
    double at_size = kInfinity;
    bool known = false;
    while (size > 0) {
      const double value = entry(layer, rows[size - 1], c);
      if (!(value < stack_values[size - 1]))
        break;
      --size;
      at_size = value;
      known = true;
    }
    if (size < rows.count) {
      kept[size] = c;
      stack_values[size] = known ? at_size : entry(layer, rows[size], c);
      ++size;
    }
  }
  return size;
}

// SMAWK's INTERPOLATE: the even rows' minima, each searched between the argmins of its odd
// neighbours. Strict comparison keeps the leftmost minimum.
template <class Layer, class Columns>
void interpolate(const Layer& layer, Rows rows, Columns kept, Index kept_count, double* values,
                 Index* argmins) {
  Index begin = 0;
  for (Index t = 0; t < rows.count; t += 2) {
    const Index r = rows[t];
    const Index end =
        t + 1 < rows.count ? kept.index_of(argmins[rows[t + 1]], begin) : kept_count - 1;
    double best = entry(layer, r, kept[begin]);
    Index best_column = kept[begin];
    for (Index q = begin + 1; q <= end && kept[q] < r; ++q) {
      const double value = layer(r, kept[q]);
      if (value < best) {
        best = value;
        best_column = kept[q];
      }
    }
    values[r] = best;
    argmins[r] = best_column;
    begin = end;
  }
}

// Leftmost row minima of `layer` on rows x columns into values[r], argmins[r]. `kept` needs room
// for the survivors of every level (at most 2·rows.count in all). REDUCE's value stack borrows
// `values`: all REDUCE steps run on the way down the recursion, before any level writes a result.
template <class Layer, class Columns>
void smawk(const Layer& layer, Rows rows, Columns columns, Index column_count, Index* kept,
           double* values, Index* argmins) {
  if (rows.count == 0)
    return;
  const Index survivors = reduce(layer, rows, columns, column_count, kept, values);
  smawk(layer, rows.odd(), ColumnList{kept}, survivors, kept + survivors, values, argmins);
  interpolate(layer, rows, ColumnList{kept}, survivors, values, argmins);
}

// The levels of a layer that skip REDUCE (see layer_minima); SMAWK proper starts on every 32nd row.
constexpr int kScanLevels = 5;

// Room `kept` needs for a layer of `rows` rows: SMAWK proper sees rows / 2^kScanLevels of them.
std::size_t kept_capacity(std::size_t rows) {
  return 2 * (rows >> kScanLevels) + 1;
}

// Row minima of a whole layer: rows [first_row, first_row + count) against as many columns from
// first_row − 1 on. The matrix is a staircase (c < r) whose argmins mostly stand still and then
// jump, on which REDUCE eliminates little while it sees only one or two columns per row, each at a
// hard-to-predict compare. So the top kScanLevels levels skip it: SMAWK proper runs on every 32nd
// row against all columns, and each finer level scans its rows between the argmins of its
// neighbours, contiguous and predictable: 1.5-2x faster than REDUCE on every level (measured).
template <class Layer>
void layer_minima(const Layer& layer, Index first_row, Index count, Index* kept, double* values,
                  Index* argmins) {
  Rows levels[kScanLevels + 1] = {{first_row, 1, count}};
  for (int i = 1; i <= kScanLevels; ++i)
    levels[i] = levels[i - 1].odd();
  const ColumnRange columns{first_row - 1};
  smawk(layer, levels[kScanLevels], columns, count, kept, values, argmins);
  for (int i = kScanLevels - 1; i >= 0; --i) {
    interpolate(layer, levels[i], columns, count, values, argmins);
  }
}

struct Workspace {
  double* rows[3];  // the third only for the linear-memory recovery
  Index* argmins;
  std::size_t argmin_capacity;
  Index* kept;
};

// Layers 1..layers of the DP for `clusters` clusters over `length` points. Layer l only needs the
// rows [l, l + length − clusters]: fewer points cannot form l clusters, more leave too few for the
// rest. Layer l's argmins go to argmins + (l − 2)·stride. Returns the buffer holding the last
// layer.
template <class Layer>
double* run_layers(Layer layer, Index length, Index clusters, Index layers, double* row,
                   double* spare, Index* argmins, std::size_t stride, Index* kept) {
  const Index span = length - clusters;
  for (Index r = 1; r <= 1 + span; ++r)
    row[r] = layer.first(r);
  for (Index l = 2; l <= layers; ++l) {
    layer.prev = row;
    layer_minima(layer, l, span + 1, kept, spare, argmins);
    std::swap(row, spare);
    argmins += stride;
  }
  return row;
}

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

  // One pass over all layers keeping every argmin, then a backtrack from the last point.
  void partition_by_table(Index begin, Index length, Index clusters, std::size_t* ends) {
    ForwardLayer<PrefixSums> layer{sums_.shifted(begin), nullptr};
    const double* last =
        run_layers(layer, length, clusters, clusters - 1, work_.rows[0], work_.rows[1],
                   work_.argmins, std::size_t{length} + 1, work_.kept);
    // The last layer is needed at the last point only: one scan instead of a whole layer.
    layer.prev = last;
    Index start = clusters - 1;
    double best = layer(length, start);
    for (Index c = clusters; c < length; ++c) {
      const double value = layer(length, c);
      if (value < best) {
        best = value;
        start = c;
      }
    }
    ends[clusters - 1] = std::size_t{begin} + length;
    for (Index l = clusters - 1; l >= 1; --l) {
      ends[l - 1] = std::size_t{begin} + start;
      if (l >= 2)
        start = work_.argmins[std::size_t{l - 2} * (std::size_t{length} + 1) + start];
    }
  }

  // Hirschberg's step: the costs of the best clusterings of every prefix into clusters/2 clusters
  // and of every suffix into the rest; the leftmost position minimising their sum is where an
  // optimal partition crosses from its first half of clusters to its second.
  Index best_split(Index begin, Index length, Index clusters) {
    const Index head = clusters / 2;
    const Index tail = clusters - head;
    const PrefixSums sums = sums_.shifted(begin);
    const double* prefix_cost =
        run_layers(ForwardLayer<PrefixSums>{sums, nullptr}, length, clusters, head, work_.rows[0],
                   work_.rows[1], work_.argmins, 0, work_.kept);
    double* free_row = prefix_cost == work_.rows[0] ? work_.rows[1] : work_.rows[0];
    const double* suffix_cost =
        run_layers(BackwardLayer<PrefixSums>{sums, nullptr, length}, length, clusters, tail,
                   work_.rows[2], free_row, work_.argmins, 0, work_.kept);
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

KMeans1DSolution ExactKMeans1D::solve(const double* x, const double* w, std::size_t n, int k) {
  KMeans1DSolution out;
  solve(x, w, n, k, out);
  return out;
}

void ExactKMeans1D::solve(const double* x, const double* w, std::size_t n, int k,
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
void ExactKMeans1D::partition_runs(const double* x, const double* w, std::size_t n,
                                   std::size_t distinct, std::size_t clusters, std::size_t* ends) {
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
void ExactKMeans1D::partition(const PrefixSums& sums, std::size_t points, std::size_t clusters,
                              std::size_t* ends) {
  const std::size_t positions = points + 1;
  const std::size_t table = clusters > 2 ? (clusters - 2) * positions : 0;
  const bool use_table = table <= options_.max_table_entries;
  // The linear-memory recovery holds a third DP row; its argmin scratch (one row) also serves as
  // the table of every sub-range whose table fits in it.
  rows_.resize((use_table ? 2 : 3) * positions);
  argmins_.resize(use_table ? std::max<std::size_t>(table, 1) : positions);
  columns_.resize(kept_capacity(positions));
  const Workspace workspace{
      {rows_.data(), rows_.data() + positions, use_table ? nullptr : rows_.data() + 2 * positions},
      argmins_.data(),
      argmins_.size(),
      columns_.data()};
  Partitioner<PrefixSums>(sums, workspace, options_.max_table_entries)
      .partition(0, static_cast<Index>(points), static_cast<Index>(clusters), ends);
}

}  // namespace kmlut
