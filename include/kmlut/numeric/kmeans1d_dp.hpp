// The dynamic program of the exact 1-D k-means (docs/algorithm.md): each layer is a row-minima
// problem on a totally monotone matrix, solved with SMAWK on every 32nd row and interpolation on
// the rows between, or, once clusters are small, by scans between Knuth's bounds (on one lane
// also in the layers just before, on every 32nd row and in the interpolation). All find every
// row's leftmost minimum. The CPU solver (host/exact_kmeans1d.cpp) and the CUDA kernels both run
// this code, so they take the same decisions on the same prefix sums, near-ties included.
//
// A `Cta` policy says how many lanes share the work of one problem: CpuLane is one lane (the CPU
// solver), the CUDA backend passes a thread block. Only steps whose result cannot depend on the
// split run on several lanes: every window is bounded by argmins that coarser levels fixed before
// (all windows of a level are known before any of them is scanned), and a window split among lanes
// is merged by (value, column), which gives the leftmost minimum whatever the split. SMAWK's
// REDUCE is a sequential stack and a Knuth-bounded row waits for the row after it, so several
// lanes solve a layer by divide and conquer instead (shared_layer_minima). Every lane must call
// the functions taking a Cta, in the same order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "kmlut/numeric/cluster_cost.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric::dp {

using Index = std::uint32_t;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// A row's minimum found by one lane over its share of a window.
struct Candidate {
  double value;
  Index column;
};

// Whether `a` comes before `b` among a row's entries: a smaller value, or an equal one further
// left. A scan with strict `<` in column order keeps exactly this one, so merging lanes' shares by
// it gives a sequential scan's (value, column) whatever the split.
KMLUT_HD inline bool precedes(const Candidate& a, const Candidate& b) {
  return a.value < b.value || (a.value == b.value && a.column < b.column);
}

// One lane doing all the work: the CPU solver. The CUDA backend's thread-block policy has the
// same members.
struct CpuLane {
  KMLUT_HD Index rank() const { return 0; }
  KMLUT_HD Index size() const { return 1; }
  KMLUT_HD bool is_leader() const { return true; }
  KMLUT_HD void sync() {}
  // The column with the smallest value over all lanes, the leftmost among equal values; every
  // lane passes its own leftmost minimum.
  KMLUT_HD Index leftmost_min(double, Index column) { return column; }
  // One slot per lane that every lane can read after a sync (shared_layer_minima merges its teams'
  // shares there); one lane never merges.
  KMLUT_HD Candidate* candidates() { return &slot; }
  Candidate slot;
};

// One DP layer as a matrix over a range of points: entry (r, c), c < r, is the cost of the
// previous layer's clusters covering the first c points plus one more cluster [c, r). c >= r
// reads as +infinity, which keeps the matrix totally monotone.
template <class PrefixSums>
struct ForwardLayer {
  PrefixSums sums;  // shifted so that index 0 is the range's first point
  const double* prev;

  KMLUT_HD double first(Index r) const { return sums.cost(0, r); }
  KMLUT_HD double operator()(Index r, Index c) const { return prev[c] + sums.cost(c, r); }
};

// The mirror image, clustering suffixes: r and c count points back from the range's end, so the
// matrix has the forward one's shape and the same row-minima solver applies.
template <class PrefixSums>
struct BackwardLayer {
  PrefixSums sums;
  const double* prev;
  Index end;

  KMLUT_HD double first(Index r) const { return sums.cost(end - r, end); }
  KMLUT_HD double operator()(Index r, Index c) const {
    return prev[c] + sums.cost(end - r, end - c);
  }
};

template <class Layer>
KMLUT_HD double entry(const Layer& layer, Index r, Index c) {
  return c < r ? layer(r, c) : kInfinity;
}

// The rows first + t·stride, t < count, of one level; the next level keeps the odd ones.
struct Rows {
  Index first;
  Index stride;
  Index count;

  KMLUT_HD Index operator[](Index t) const { return first + t * stride; }
  KMLUT_HD Rows odd() const { return {first + stride, 2 * stride, count / 2}; }
};

// A level's columns: a contiguous range at the top level (never materialised), a strictly
// increasing list below. index_of(c, from) finds column c at or after position `from` (a forward
// scan, cheap when positions are visited in order); position_of(c, count) finds it anywhere.
struct ColumnRange {
  Index first;
  KMLUT_HD Index operator[](Index t) const { return first + t; }
  KMLUT_HD Index index_of(Index c, Index) const { return c - first; }
  KMLUT_HD Index position_of(Index c, Index) const { return c - first; }
};
struct ColumnList {
  const Index* at;
  KMLUT_HD Index operator[](Index t) const { return at[t]; }
  KMLUT_HD Index index_of(Index c, Index from) const {
    while (at[from] != c)
      ++from;
    return from;
  }
  KMLUT_HD Index position_of(Index c, Index count) const {
    Index low = 0;
    while (count > 0) {
      const Index half = count / 2;
      if (at[low + half] < c) {
        low += half + 1;
        count -= half + 1;
      } else {
        count = half;
      }
    }
    return low;
  }
};

// SMAWK's REDUCE: keeps at most rows.count columns that can hold a leftmost row minimum, in
// `kept` (increasing, like the input). Ties keep the earlier column. `stack_values[p]` caches
// entry (rows[p], kept[p]).
template <class Layer, class Columns>
KMLUT_HD Index reduce(const Layer& layer, Rows rows, Columns columns, Index column_count,
                      Index* kept, double* stack_values) {
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

// The minimum of row r over the columns at positions [begin, end] that lie left of r (the first
// one even if it does not). Strict comparison keeps the leftmost minimum.
template <class Layer, class Columns>
KMLUT_HD void interpolate_row(const Layer& layer, Index r, Columns kept, Index begin, Index end,
                              double* values, Index* argmins) {
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
}

// SMAWK's INTERPOLATE: the even rows' minima, each searched between the argmins of its odd
// neighbours, which lie in `kept` in increasing order.
template <class Layer, class Columns>
KMLUT_HD void interpolate(const Layer& layer, Rows rows, Columns kept, Index kept_count,
                          double* values, Index* argmins) {
  Index begin = 0;
  for (Index t = 0; t < rows.count; t += 2) {
    const Index end =
        t + 1 < rows.count ? kept.index_of(argmins[rows[t + 1]], begin) : kept_count - 1;
    interpolate_row(layer, rows[t], kept, begin, end, values, argmins);
    begin = end;
  }
}

// INTERPOLATE with the even rows dealt out to the lanes: each row's window is found from its
// neighbours' argmins directly, so it is the window `interpolate` reaches by carrying it along.
template <class Layer, class Columns, class Cta>
KMLUT_HD void interpolate(Cta& cta, const Layer& layer, Rows rows, Columns kept, Index kept_count,
                          double* values, Index* argmins) {
  for (Index t = 2 * cta.rank(); t < rows.count; t += 2 * cta.size()) {
    const Index begin = t == 0 ? 0 : kept.position_of(argmins[rows[t - 1]], kept_count);
    const Index end =
        t + 1 < rows.count ? kept.position_of(argmins[rows[t + 1]], kept_count) : kept_count - 1;
    interpolate_row(layer, rows[t], kept, begin, end, values, argmins);
  }
  cta.sync();
}

// Leftmost row minima of `layer` on `rows` x `columns` into values[r], argmins[r], by SMAWK with
// its recursion unrolled: REDUCE level by level on the way down (each level's survivors stored
// after the previous level's in `kept`, which needs room for 2·rows.count columns), then
// INTERPOLATE from the deepest level up. REDUCE's value stack borrows `values`: every REDUCE runs
// before any level writes a result.
template <class Layer>
KMLUT_HD void smawk(const Layer& layer, Rows rows, ColumnRange columns, Index column_count,
                    Index* kept, double* values, Index* argmins) {
  constexpr int kMaxLevels = 32;  // a count below 2^32 halves to 0 in at most 32 steps
  Rows level_rows[kMaxLevels];
  Index kept_offset[kMaxLevels];
  Index kept_count[kMaxLevels];
  int levels = 0;
  Index offset = 0;
  for (Rows level = rows; level.count > 0; level = level.odd(), ++levels) {
    const Index survivors = levels == 0
                                ? reduce(layer, level, columns, column_count, kept, values)
                                : reduce(layer, level, ColumnList{kept + kept_offset[levels - 1]},
                                         kept_count[levels - 1], kept + offset, values);
    level_rows[levels] = level;
    kept_offset[levels] = offset;
    kept_count[levels] = survivors;
    offset += survivors;
  }
  for (int level = levels - 1; level >= 0; --level) {
    interpolate(layer, level_rows[level], ColumnList{kept + kept_offset[level]}, kept_count[level],
                values, argmins);
  }
}

// The levels of a layer that skip REDUCE (see layer_minima); SMAWK proper starts on every 32nd row.
constexpr int kScanLevels = 5;

// Room `kept` needs for a layer of `rows` rows: SMAWK proper sees rows / 2^kScanLevels of them.
KMLUT_HD inline std::size_t kept_capacity(std::size_t rows) {
  return 2 * (rows >> kScanLevels) + 1;
}

// Level `level` of a layer's rows [first_row, first_row + count): every 2^level-th row, from the
// 2^level-th on (level 0 is every row).
KMLUT_HD inline Rows scan_level(Index first_row, Index count, int level) {
  Rows rows{first_row, 1, count};
  for (int i = 0; i < level; ++i)
    rows = rows.odd();
  return rows;
}

// Row minima of a whole layer: rows [first_row, first_row + count) against as many columns from
// first_row − 1 on. The matrix is a staircase (c < r) whose argmins mostly stand still and then
// jump, on which REDUCE eliminates little while it sees only one or two columns per row, each at a
// hard-to-predict compare. So the top kScanLevels levels skip it: SMAWK proper runs on every 32nd
// row against all columns, and each finer level scans its rows between the argmins of its
// neighbours, contiguous and predictable: 1.5-2x faster than REDUCE on every level (measured).
template <class Layer, class Cta>
KMLUT_HD void layer_minima(Cta& cta, const Layer& layer, Index first_row, Index count, Index* kept,
                           double* values, Index* argmins) {
  const ColumnRange columns{first_row - 1};
  if (cta.is_leader()) {
    smawk(layer, scan_level(first_row, count, kScanLevels), columns, count, kept, values, argmins);
  }
  cta.sync();
  for (int level = kScanLevels - 1; level >= 0; --level) {
    interpolate(cta, layer, scan_level(first_row, count, level), columns, count, values, argmins);
  }
}

// The leftmost minimum of row r over the contiguous columns [start, end], start < r, scanned in
// order with strict `<`, into values[r] and argmins[r].
template <class Layer>
KMLUT_HD void scan_window(const Layer& layer, Index r, Index start, Index end, double* values,
                          Index* argmins) {
  double best = layer(r, start);
  Index best_column = start;
  for (Index c = start + 1; c <= end; ++c) {
    const double value = layer(r, c);
    if (value < best) {
      best = value;
      best_column = c;
    }
  }
  values[r] = best;
  argmins[r] = best_column;
}

// Row minima of a layer by Knuth's bounds: the leftmost argmin of row r lies at or right of the
// previous layer's at row r (with one cluster more the last one starts later) and at or left of
// this layer's at row r + 1 (total monotonicity). Rows are solved from the last one down, each
// scanning [previous[r], argmins[r + 1]]; the window widths add up to about the rows plus the
// argmins' shift from the previous layer, which is small once clusters are small (see
// use_knuth_bounds) but can reach the whole row on heavy-tailed data (outliers take clusters
// and leave the bulk few, large ones), so the scans give up (false) as soon as they average more
// than kKnuthBudget entries per row, after a grace of kKnuthGraceRows rows. The previous layer has
// no row first_row + count − 1, so that row takes the bound of the row below it. `previous` may be
// `argmins` itself: row r reads previous[r] before writing argmins[r], and the rows below read only
// entries not yet overwritten.
constexpr std::size_t kKnuthBudget = 24;
constexpr std::size_t kKnuthGraceRows = 64;
template <class Layer>
KMLUT_HD bool knuth_layer_minima(const Layer& layer, Index first_row, Index count,
                                 const Index* previous, double* values, Index* argmins) {
  const Index first_column = first_row - 1;
  const Index last_row = first_row + count - 1;
  std::size_t budget = kKnuthBudget * kKnuthGraceRows;
  std::size_t spent = 0;
  Index upper = last_row - 1;
  for (Index r = last_row; r >= first_row; --r) {
    const Index below = previous[r < last_row ? r : last_row - 1];
    const Index lower = below > first_column ? below : first_column;
    const Index end = upper < r ? upper : r - 1;
    // Where rounding breaks the bounds' premise the window would be empty; its end stands in.
    const Index start = lower < end ? lower : end;
    spent += end - start + 1;
    budget += kKnuthBudget;
    if (spent > budget)
      return false;
    scan_window(layer, r, start, end, values, argmins);
    upper = argmins[r];
  }
  return true;
}

// Between the two: Knuth's lower bound inside the SMAWK path's levels, for layers whose argmins
// shift too far for scans of every row but not across a 32-row step. The rows of level
// kScanLevels (every 32nd) are scanned from the last one up as in knuth_layer_minima, each over
// [previous[r], argmins[r + 32]], where SMAWK would REDUCE all columns; each finer level then
// scans its rows between their neighbours' argmins, as `interpolate` does, starting no further
// left than previous[r]. Every window still holds the row's leftmost minimum (docs/algorithm.md,
// "Ties"), so the decisions are layer_minima's. A level-kScanLevels scan reads about
// 32 + shift entries against SMAWK's 64 at 1.7 times the cost, and the lower bound trims the
// finer levels: the path pays where length / (l·(l − 1)) <= 64 (measured, see
// use_strided_knuth_bounds). The top scans give up (false) past kStridedKnuthBudget entries per
// row of the layer, after the same grace as knuth_layer_minima. One lane: the top rows depend on
// each other, and the CUDA backend's lanes keep SMAWK's REDUCE (run_layers). `previous` may be
// `argmins` itself: every row is written once, after reading previous[r]; the last row reads
// previous[last_row − 1] instead, which may by then hold this layer's argmin there, a bound as
// good (total monotonicity).
constexpr std::size_t kStridedKnuthBudget = 4;
template <class Layer>
KMLUT_HD bool strided_knuth_layer_minima(const Layer& layer, Index first_row, Index count,
                                         const Index* previous, double* values, Index* argmins) {
  const Index first_column = first_row - 1;
  const Index last_row = first_row + count - 1;
  // The previous layer has no row last_row; the row below's bound holds for it too.
  auto lower_bound = [&](Index r) {
    const Index below = previous[r < last_row ? r : last_row - 1];
    return below > first_column ? below : first_column;
  };
  const Rows top = scan_level(first_row, count, kScanLevels);
  std::size_t budget = kKnuthBudget * kKnuthGraceRows;
  std::size_t spent = 0;
  for (Index t = top.count; t-- > 0;) {
    const Index r = top[t];
    const Index upper = t + 1 < top.count ? argmins[top[t + 1]] : r - 1;
    const Index end = upper < r ? upper : r - 1;
    const Index lower = lower_bound(r);
    // Where rounding breaks the bounds' premise the window would be empty; its end stands in.
    const Index start = lower < end ? lower : end;
    spent += end - start + 1;
    budget += kStridedKnuthBudget * top.stride;
    if (spent > budget)
      return false;
    scan_window(layer, r, start, end, values, argmins);
  }
  for (int level = kScanLevels - 1; level >= 0; --level) {
    const Rows rows = scan_level(first_row, count, level);
    for (Index t = 0; t < rows.count; t += 2) {
      const Index r = rows[t];
      const Index left = t == 0 ? first_column : argmins[rows[t - 1]];
      const Index upper = t + 1 < rows.count ? argmins[rows[t + 1]] : r - 1;
      const Index end = upper < r ? upper : r - 1;
      const Index lower = lower_bound(r);
      const Index low = lower > left ? lower : left;
      const Index start = low < end ? low : end;
      scan_window(layer, r, start, end, values, argmins);
    }
  }
  return true;
}

// Knuth's bounds pay once a layer's argmins shift little from the previous layer's. A scan then
// reads about 1.5 + 0.7·length / l² entries per row (measured on Gaussian and uniform points),
// the SMAWK path about 8, each costing 1.7 times a scanned one (measured): the bounds take over
// where length / (l·(l − 1)) <= 16. This choice depends on the sizes only, giving up on the
// data; neither on the lanes.
constexpr std::size_t kKnuthMaxShift = 16;
KMLUT_HD inline bool use_knuth_bounds(Index layer, Index length) {
  return layer >= 3 && std::size_t{layer} * (layer - 1) * kKnuthMaxShift >= length;
}

// The strided scans (strided_knuth_layer_minima) for the layers before that, from
// length / (l·(l − 1)) <= 64, on one lane.
constexpr std::size_t kStridedKnuthMaxShift = 64;
KMLUT_HD inline bool use_strided_knuth_bounds(Index layer, Index length) {
  return layer >= 3 && std::size_t{layer} * (layer - 1) * kStridedKnuthMaxShift >= length;
}

// The leftmost minimum of row r over the columns [begin, end] that `member` of a team of `team`
// lanes scans: every team-th column from begin + member (adjacent lanes read adjacent columns).
// A member without columns returns a candidate that every real one precedes.
template <class Layer>
KMLUT_HD Candidate scan_share(const Layer& layer, Index r, Index begin, Index end, Index member,
                              Index team) {
  Candidate best{kInfinity, ~Index{0}};
  for (Index c = begin + member; c <= end; c += team) {
    const double value = layer(r, c);
    if (best.column == ~Index{0} || value < best.value)
      best = {value, c};
  }
  return best;
}

// Row minima of a layer on several lanes: rows [first_row, first_row + count) against as many
// columns from first_row − 1 on, level by level from the single middle row of scan_level's
// coarsest level down to every row, each row scanning between the argmins of its neighbours on
// the coarser levels (INTERPOLATE's windows, which the finest levels of layer_minima scan too).
// A level of few rows gives each row a team of lanes (a power of two) that splits its window and
// merges the shares through Cta::candidates(); once rows outnumber lanes, each lane takes whole
// rows. Every level reads about count + rows entries, spread over all lanes, against SMAWK's
// sequential REDUCE over every column. `lower` (may be null) holds the previous layer's argmins,
// Knuth's lower bound (knuth_layer_minima), which narrows the coarse levels' windows to about the
// argmins' shift; like the sequential scans, row first_row + count − 1 takes the bound of row
// first_row + count − 2, and a window the bounds leave empty is its end alone.
template <class Layer, class Cta>
KMLUT_HD void shared_layer_minima(Cta& cta, const Layer& layer, Index first_row, Index count,
                                  const Index* lower, double* values, Index* argmins) {
  const Index first_column = first_row - 1;
  const Index last_row = first_row + count - 1;
  int top = 0;
  while ((count >> (top + 1)) != 0)
    ++top;
  for (int level = top; level >= 0; --level) {
    const Rows rows = scan_level(first_row, count, level);
    const Index solved = (rows.count + 1) / 2;  // the even positions; the odd ones are coarser
    Index team = 1;
    while (2 * team * solved <= cta.size())
      team *= 2;
    const auto window_of = [&](Index i, Index& begin, Index& end) {
      const Index t = 2 * i;
      const Index r = rows[t];
      begin = t == 0 ? first_column : argmins[rows[t - 1]];
      end = t + 1 < rows.count ? argmins[rows[t + 1]] : last_row - 1;
      end = end < r - 1 ? end : r - 1;
      if (lower != nullptr) {
        const Index bound = lower[r < last_row ? r : last_row - 1];
        begin = bound > begin ? bound : begin;
      }
      begin = begin < end ? begin : end;
      return r;
    };
    if (team == 1) {
      for (Index i = cta.rank(); i < solved; i += cta.size()) {
        Index begin, end;
        const Index r = window_of(i, begin, end);
        const Candidate best = scan_share(layer, r, begin, end, 0, 1);
        values[r] = best.value;
        argmins[r] = best.column;
      }
    } else {
      // One round: team · solved <= size, so the teams cover every row once.
      const Index i = cta.rank() / team;
      const Index member = cta.rank() % team;
      Index begin = 0, end = 0, r = 0;
      Candidate share{kInfinity, ~Index{0}};
      if (i < solved) {
        r = window_of(i, begin, end);
        share = scan_share(layer, r, begin, end, member, team);
      }
      Candidate* const slots = cta.candidates();
      slots[cta.rank()] = share;
      cta.sync();
      if (i < solved && member == 0) {
        Candidate best = share;
        for (Index m = 1; m < team; ++m) {
          if (precedes(slots[cta.rank() + m], best))
            best = slots[cta.rank() + m];
        }
        values[r] = best.value;
        argmins[r] = best.column;
      }
    }
    cta.sync();
  }
}

// Layers 1..layers of the DP for `clusters` clusters over `length` points. Layer l only needs the
// rows [l, l + length − clusters]: fewer points cannot form l clusters, more leave too few for the
// rest. Layer l's argmins go to argmins + (l − 2)·stride. Returns the buffer holding the last
// layer.
template <class Layer, class Cta>
KMLUT_HD double* run_layers(Cta& cta, Layer layer, Index length, Index clusters, Index layers,
                            double* row, double* spare, Index* argmins, std::size_t stride,
                            Index* kept) {
  const Index span = length - clusters;
  for (Index r = 1 + cta.rank(); r <= 1 + span; r += cta.size())
    row[r] = layer.first(r);
  cta.sync();
  // After the scans give up on a layer, the next layers use SMAWK, for twice as many each time:
  // shifts shrink as clusters do, and at most log2(layers) attempts are wasted.
  Index knuth_from = 3;
  Index knuth_pause = 1;
  for (Index l = 2; l <= layers; ++l) {
    layer.prev = row;
    bool solved = false;
    if (cta.size() > 1) {
      // Knuth's lower bounds need the previous layer's argmins beside this layer's (a table).
      const bool bounded = stride != 0 && use_knuth_bounds(l, length);
      shared_layer_minima(cta, layer, l, span + 1, bounded ? argmins - stride : nullptr, spare,
                          argmins);
      solved = true;
    } else if (l >= knuth_from && use_knuth_bounds(l, length)) {
      // Rows depend on each other: one lane scans, and tells the others whether it finished.
      Index finished = 0;
      if (cta.is_leader())
        finished = knuth_layer_minima(layer, l, span + 1, argmins - stride, spare, argmins);
      solved = cta.leftmost_min(cta.is_leader() ? 0.0 : kInfinity, finished) == 1;
      cta.sync();
      if (!solved) {
        knuth_from = l + 1 + knuth_pause;
        knuth_pause *= 2;
      }
    } else if (l >= knuth_from && use_strided_knuth_bounds(l, length)) {
      solved = strided_knuth_layer_minima(layer, l, span + 1, argmins - stride, spare, argmins);
      if (!solved) {
        knuth_from = l + 1 + knuth_pause;
        knuth_pause *= 2;
      }
    }
    if (!solved)
      layer_minima(cta, layer, l, span + 1, kept, spare, argmins);
    double* const done = spare;
    spare = row;
    row = done;
    argmins += stride;
  }
  return row;
}

// The buffers of a table partition: two DP rows of length + 1 entries, the argmin table of
// (clusters − 2)·(length + 1) entries (at least one) and kept_capacity(length + 1) columns.
struct TableWorkspace {
  double* rows[2];
  Index* argmins;
  Index* kept;
};

// An optimal partition of the points [begin, begin + length) into `clusters` contiguous clusters,
// 2 <= clusters < length: one pass over the layers keeping every argmin, the last layer needed at
// the last point only, then a backtrack. Writes the clusters' exclusive ends (on the leader).
template <class PrefixSums, class Cta, class End>
KMLUT_HD void partition_by_table(Cta& cta, const PrefixSums& sums, std::size_t begin, Index length,
                                 Index clusters, const TableWorkspace& work, End* ends) {
  ForwardLayer<PrefixSums> layer{sums.shifted(begin), nullptr};
  layer.prev = run_layers(cta, layer, length, clusters, clusters - 1, work.rows[0], work.rows[1],
                          work.argmins, std::size_t{length} + 1, work.kept);
  // The last layer at the last point: the leftmost minimum over the possible starts of the last
  // cluster, each lane scanning its share in order.
  Index start = ~Index{0};
  double best = kInfinity;
  for (Index c = clusters - 1 + cta.rank(); c < length; c += cta.size()) {
    const double value = layer(length, c);
    if (start == ~Index{0} || value < best) {
      best = value;
      start = c;
    }
  }
  start = cta.leftmost_min(best, start);
  if (cta.is_leader()) {
    ends[clusters - 1] = static_cast<End>(begin + length);
    for (Index l = clusters - 1; l >= 1; --l) {
      ends[l - 1] = static_cast<End>(begin + start);
      if (l >= 2)
        start = work.argmins[std::size_t{l - 2} * (std::size_t{length} + 1) + start];
    }
  }
  cta.sync();
}

}  // namespace kmlut::numeric::dp
