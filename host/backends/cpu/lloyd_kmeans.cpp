#include "host/backends/cpu/lloyd_kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "host/backends/cpu/centroid_table.hpp"
#include "host/backends/cpu/kmeans_plus_plus.hpp"
#include "host/backends/cpu/random_stream.hpp"
#include "host/backends/cpu/simd/nearest_centre_kernels.hpp"
#include "kmlut/numeric/lloyd_arithmetic.hpp"

namespace kmlut::cpu {
namespace {

constexpr std::size_t kChunk = numeric::kLloydChunkPoints;
constexpr float kInfinity = std::numeric_limits<float>::infinity();

std::size_t chunk_count(std::size_t n) {
  return (n + kChunk - 1) / kChunk;
}

std::pair<std::size_t, std::size_t> chunk_range(std::size_t chunk, std::size_t n) {
  return {chunk * kChunk, std::min(n, (chunk + 1) * kChunk)};
}

// scikit-learn's scale for `tol`: the mean over dimensions of the (unweighted) variance.
double mean_variance(const VectorPoints& points, const ChunkRunner& runner) {
  const auto d = static_cast<std::size_t>(points.d);
  const std::size_t chunks = chunk_count(points.n);
  std::vector<double> partial(chunks * d);
  auto sum_over_chunks = [&](auto&& term) {
    runner(chunks, [&](std::size_t chunk) {
      const auto [begin, end] = chunk_range(chunk, points.n);
      double* sum = &partial[chunk * d];
      std::fill(sum, sum + d, 0.0);
      for (std::size_t i = begin; i < end; ++i) {
        for (std::size_t j = 0; j < d; ++j)
          sum[j] += term(points.point(i)[j], j);
      }
    });
    std::vector<double> total(d, 0.0);
    for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
      for (std::size_t j = 0; j < d; ++j)
        total[j] += partial[chunk * d + j];
    }
    return total;
  };
  const auto n = static_cast<double>(points.n);
  std::vector<double> mean = sum_over_chunks([](float x, std::size_t) { return double{x}; });
  for (double& m : mean)
    m /= n;
  const std::vector<double> squares = sum_over_chunks([&](float x, std::size_t j) {
    const double deviation = x - mean[j];
    return deviation * deviation;
  });
  double variance = 0.0;
  for (double s : squares)
    variance += s / n;
  return variance / static_cast<double>(d);
}

// A point that changed cluster in the last assignment.
struct Move {
  std::uint32_t point;
  std::uint8_t from;
  std::uint8_t to;
};

// One run of Lloyd's algorithm from given centres. The state is reused across runs.
//
// The per-cluster sums are kept up to date by the moves of each assignment (applied in chunk
// order) rather than recomputed: once the centres settle, an iteration touches only the points
// whose bounds fail. When a bound fails, the search starts from the point's own centre and skips
// every centre whose distance to it proves it cannot be the nearest or second nearest (triangle
// inequality on the table of centre-to-centre distances).
class LloydRun {
 public:
  LloydRun(const VectorPoints& points, const LloydOptions& options, const ChunkRunner& runner)
      : points_(points),
        options_(options),
        runner_(runner),
        k_(options.k),
        d_(static_cast<std::size_t>(points.d)),
        chunks_(chunk_count(points.n)),
        kernels_(nearest_centre_kernels(options.simd)),
        table_(options.simd),
        labels_(points.n),
        upper_(points.n),
        lower_(points.n),
        shift_(k_),
        half_gap_(k_),
        neighbours_(k_ * k_),
        ranked_stride_((k_ + kCentreTile - 1) / kCentreTile * kCentreTile + kCentreTile),
        ranked_columns_(k_ * d_ * ranked_stride_, kInfinity),
        ranked_indices_(k_ * ranked_stride_, 0),
        chunk_sums_(chunks_ * k_ * d_),
        chunk_masses_(chunks_ * k_),
        chunk_counts_(chunks_ * k_),
        moves_(chunks_) {
    for (std::size_t a = 0; a < k_; ++a) {
      for (std::size_t b = 0; b < k_; ++b)
        neighbours_[a * k_ + b].index = static_cast<std::uint32_t>(b);
    }
  }

  void run(std::vector<float> centres, double tolerance) {
    centres_ = std::move(centres);
    iterations_ = 0;
    bool first = true;
    bool converged = false;
    while (!converged && iterations_ < static_cast<std::size_t>(options_.max_iter)) {
      const std::size_t changed = assign_all(first);
      const double shift = update_centres();
      ++iterations_;
      converged = (!first && changed == 0) || shift <= tolerance;
      first = false;
    }
    // The labels of the final centres, then each centre the mean of its points.
    assign_all(false);
    set_centres_to_means();
    inertia_ = measure_inertia();
  }

  const std::vector<float>& centres() const { return centres_; }
  const std::vector<std::uint8_t>& labels() const { return labels_; }
  double inertia() const { return inertia_; }
  std::size_t iterations() const { return iterations_; }

 private:
  const float* centre(std::size_t c) const { return &centres_[c * d_]; }

  // Assigns every point and brings the cluster sums up to date; returns how many labels changed
  // (all of them in the first assignment).
  std::size_t assign_all(bool first) {
    std::size_t changed = points_.n;
    if (first) {
      table_.assign(centres_.data(), k_, points_.d);
      runner_(chunks_, [&](std::size_t chunk) { assign_chunk_fully(chunk); });
      sum_chunk_partials();
    } else {
      if (options_.use_bounds)
        compute_centre_distances();
      else
        table_.assign(centres_.data(), k_, points_.d);
      runner_(chunks_, [&](std::size_t chunk) { reassign_chunk(chunk); });
      changed = apply_moves();
    }
    // The centres just used no longer move the bounds.
    std::fill(shift_.begin(), shift_.end(), 0.0f);
    max_shift_ = second_shift_ = 0.0f;
    return changed;
  }

  // Each centre's neighbours, nearest first, with their coordinates in that order for the
  // search kernel; and half of each centre's distance to its nearest other centre: a point closer
  // than that to its own centre cannot be nearer to any other. Rows are independent, so they are
  // spread over the runner.
  void compute_centre_distances() {
    runner_(k_, [&](std::size_t a) {
      RankedNeighbour* row = &neighbours_[a * k_];
      for (std::size_t n = 0; n < k_; ++n)
        row[n].distance = std::sqrt(squared_distance(centre(a), centre(row[n].index), points_.d));
      sort_neighbours(row);
      half_gap_[a] = k_ > 1 ? 0.5f * row[1].distance : kInfinity;
      float* columns = &ranked_columns_[a * d_ * ranked_stride_];
      for (std::size_t n = 0; n < k_; ++n) {
        ranked_indices_[a * ranked_stride_ + n] = static_cast<std::int32_t>(row[n].index);
        const float* c = centre(row[n].index);
        for (std::size_t j = 0; j < d_; ++j)
          columns[j * ranked_stride_ + n] = c[j];
      }
    });
  }

  // Nearest first (the centre itself, at 0, leads), ties by index. An insertion sort: the order
  // of the previous iteration is kept, and once the centres settle it is almost always still
  // right, so this costs a pass over the row rather than a full sort.
  void sort_neighbours(RankedNeighbour* row) const {
    auto before = [](const RankedNeighbour& x, const RankedNeighbour& y) {
      return x.distance < y.distance || (x.distance == y.distance && x.index < y.index);
    };
    for (std::size_t n = 1; n < k_; ++n) {
      const RankedNeighbour item = row[n];
      std::size_t m = n;
      for (; m > 0 && before(item, row[m - 1]); --m)
        row[m] = row[m - 1];
      row[m] = item;
    }
  }

  // The first assignment: every point scans every centre; each chunk sums its clusters.
  void assign_chunk_fully(std::size_t chunk) {
    const auto [begin, end] = chunk_range(chunk, points_.n);
    double* sums = &chunk_sums_[chunk * k_ * d_];
    double* masses = &chunk_masses_[chunk * k_];
    std::uint32_t* counts = &chunk_counts_[chunk * k_];
    std::fill(sums, sums + k_ * d_, 0.0);
    std::fill(masses, masses + k_, 0.0);
    std::fill(counts, counts + k_, 0u);
    for (std::size_t i = begin; i < end; ++i) {
      const float* x = points_.point(i);
      const std::uint32_t label = search(i, x);
      const double w = points_.weight(i);
      for (std::size_t j = 0; j < d_; ++j)
        sums[label * d_ + j] += w * x[j];
      masses[label] += w;
      ++counts[label];
    }
  }

  void sum_chunk_partials() {
    sums_.assign(k_ * d_, 0.0);
    masses_.assign(k_, 0.0);
    counts_.assign(k_, 0);
    for (std::size_t chunk = 0; chunk < chunks_; ++chunk) {
      for (std::size_t i = 0; i < k_ * d_; ++i)
        sums_[i] += chunk_sums_[chunk * k_ * d_ + i];
      for (std::size_t c = 0; c < k_; ++c) {
        masses_[c] += chunk_masses_[chunk * k_ + c];
        counts_[c] += chunk_counts_[chunk * k_ + c];
      }
    }
  }

  // Later assignments: each chunk records the points that changed cluster.
  void reassign_chunk(std::size_t chunk) {
    const auto [begin, end] = chunk_range(chunk, points_.n);
    std::vector<Move>& moves = moves_[chunk];
    moves.clear();
    for (std::size_t i = begin; i < end; ++i) {
      const float* x = points_.point(i);
      const std::uint32_t previous = labels_[i];
      const std::uint32_t label = options_.use_bounds ? search_if_needed(i, x) : search(i, x);
      if (label != previous) {
        moves.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint8_t>(previous),
                         static_cast<std::uint8_t>(label)});
      }
    }
  }

  // The moves, in chunk order, applied to the cluster sums.
  std::size_t apply_moves() {
    std::size_t changed = 0;
    for (const std::vector<Move>& moves : moves_) {
      changed += moves.size();
      for (const Move& move : moves)
        transfer(move.point, move.from, move.to);
    }
    for (std::size_t c = 0; c < k_; ++c) {
      if (counts_[c] == 0)  // no rounding residue in an empty cluster
        clear_cluster(c);
    }
    return changed;
  }

  void transfer(std::size_t point, std::size_t from, std::size_t to) {
    const float* x = points_.point(point);
    const double w = points_.weight(point);
    for (std::size_t j = 0; j < d_; ++j) {
      sums_[from * d_ + j] -= w * x[j];
      sums_[to * d_ + j] += w * x[j];
    }
    masses_[from] -= w;
    masses_[to] += w;
    --counts_[from];
    ++counts_[to];
  }

  void clear_cluster(std::size_t c) {
    std::fill(&sums_[c * d_], &sums_[c * d_] + d_, 0.0);
    masses_[c] = 0.0;
  }

  std::uint32_t search(std::size_t i, const float* x) {
    const NearestTwo nearest = table_.nearest_two(x);
    labels_[i] = static_cast<std::uint8_t>(nearest.index);
    upper_[i] = std::sqrt(nearest.best);
    lower_[i] = std::sqrt(nearest.second);
    return nearest.index;
  }

  // Hamerly's test: the bounds, moved by the last centre shifts, decide whether a search is
  // needed; the upper bound is tightened first, which settles most of the remaining points.
  std::uint32_t search_if_needed(std::size_t i, const float* x) {
    const std::uint32_t label = labels_[i];
    const numeric::MovedBounds moved = numeric::move_bounds(
        upper_[i], lower_[i], shift_[label], label == max_shift_index_ ? second_shift_ : max_shift_,
        half_gap_[label]);
    float upper = moved.upper;
    const float bound = moved.bound;
    upper_[i] = upper;
    lower_[i] = moved.lower;
    if (upper <= bound)
      return label;
    const float own = squared_distance(x, centre(label), points_.d);
    upper = std::sqrt(own);
    upper_[i] = upper;
    if (upper <= bound)
      return label;
    return search_from(i, x, label, upper);
  }

  // The nearest and second-nearest centres of a point whose own centre `from` lies at distance
  // `radius`: the kernel scans `from`'s neighbours nearest first and stops where the triangle
  // inequality rules out the rest. Ties go to the lowest index, as in the full search.
  std::uint32_t search_from(std::size_t i, const float* x, std::uint32_t from, float radius) {
    const RankedCentres ranked{ranked_columns_.data(),
                               ranked_indices_.data(),
                               neighbours_.data(),
                               ranked_stride_,
                               k_,
                               points_.d};
    const RankedNearest nearest = kernels_.nearest_from(ranked, x, from, radius);
    labels_[i] = static_cast<std::uint8_t>(nearest.index);
    upper_[i] = std::sqrt(nearest.best_squared);
    lower_[i] = nearest.second;
    return nearest.index;
  }

  // New centres from the sums; an empty cluster takes one of the points farthest from their
  // centres. Returns Σ ‖shift‖² and records the shifts for the bounds.
  double update_centres() {
    std::vector<std::size_t> empty;
    for (std::size_t c = 0; c < k_; ++c) {
      if (counts_[c] == 0)
        empty.push_back(c);
    }
    if (!empty.empty())
      relocate(empty);
    std::vector<float> next = centres_;
    for (std::size_t c = 0; c < k_; ++c) {
      if (counts_[c] == 0)
        continue;  // a donor left empty keeps its centre
      for (std::size_t j = 0; j < d_; ++j)
        next[c * d_ + j] = static_cast<float>(sums_[c * d_ + j] / masses_[c]);
    }
    return record_shifts(next);
  }

  // Each empty cluster takes one of the points farthest from their centres; the point changes
  // cluster now, and its bounds are reset so that the next assignment searches it.
  void relocate(const std::vector<std::size_t>& empty) {
    const std::vector<FarPoint> far = farthest_points(empty.size());
    for (std::size_t e = 0; e < empty.size() && e < far.size(); ++e) {
      const std::size_t p = far[e].index;
      transfer(p, labels_[p], empty[e]);
      if (counts_[labels_[p]] == 0)
        clear_cluster(labels_[p]);
      labels_[p] = static_cast<std::uint8_t>(empty[e]);
      upper_[p] = 0.0f;
      lower_[p] = 0.0f;
    }
  }

  // The m points farthest from their current centres, farthest first (ties: lowest index).
  std::vector<FarPoint> farthest_points(std::size_t m) const {
    std::vector<std::vector<FarPoint>> per_chunk(chunks_);
    runner_(chunks_, [&](std::size_t chunk) {
      const auto [begin, end] = chunk_range(chunk, points_.n);
      std::vector<FarPoint>& top = per_chunk[chunk];
      for (std::size_t i = begin; i < end; ++i)
        top.push_back({squared_distance(points_.point(i), centre(labels_[i]), points_.d), i});
      const std::size_t keep = std::min(m, top.size());
      std::partial_sort(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(keep), top.end(),
                        farther);
      top.resize(keep);
    });
    std::vector<FarPoint> all;
    for (const std::vector<FarPoint>& top : per_chunk)
      all.insert(all.end(), top.begin(), top.end());
    const std::size_t keep = std::min(m, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                      farther);
    all.resize(keep);
    return all;
  }

  double record_shifts(std::vector<float>& next) {
    double total = 0.0;
    max_shift_ = second_shift_ = 0.0f;
    max_shift_index_ = 0;
    for (std::size_t c = 0; c < k_; ++c) {
      const float squared = squared_distance(&next[c * d_], centre(c), points_.d);
      total += squared;
      shift_[c] = std::sqrt(squared);
      if (shift_[c] > max_shift_) {
        second_shift_ = max_shift_;
        max_shift_ = shift_[c];
        max_shift_index_ = static_cast<std::uint32_t>(c);
      } else if (shift_[c] > second_shift_) {
        second_shift_ = shift_[c];
      }
    }
    centres_.swap(next);
    return total;
  }

  void set_centres_to_means() {
    for (std::size_t c = 0; c < k_; ++c) {
      if (counts_[c] == 0)
        continue;
      for (std::size_t j = 0; j < d_; ++j)
        centres_[c * d_ + j] = static_cast<float>(sums_[c * d_ + j] / masses_[c]);
    }
  }

  double measure_inertia() {
    std::vector<double> partial(chunks_);
    runner_(chunks_, [&](std::size_t chunk) {
      const auto [begin, end] = chunk_range(chunk, points_.n);
      double sum = 0.0;
      for (std::size_t i = begin; i < end; ++i) {
        const float* x = points_.point(i);
        const float* c = centre(labels_[i]);
        double squared = 0.0;
        for (std::size_t j = 0; j < d_; ++j) {
          const double diff = double{x[j]} - double{c[j]};
          squared += diff * diff;
        }
        sum += points_.weight(i) * squared;
      }
      partial[chunk] = sum;
    });
    double total = 0.0;
    for (double sum : partial)
      total += sum;
    return total;
  }

  const VectorPoints& points_;
  const LloydOptions& options_;
  const ChunkRunner& runner_;
  std::size_t k_;
  std::size_t d_;
  std::size_t chunks_;
  const NearestCentreKernels& kernels_;
  CentroidTable table_;
  std::vector<float> centres_;
  std::vector<std::uint8_t> labels_;
  std::vector<float> upper_;  // ≥ distance to the own centre
  std::vector<float> lower_;  // ≤ distance to every other centre
  std::vector<float> shift_;  // how far each centre moved since the bounds were last moved
  float max_shift_ = 0.0f;    // the largest shift, the second largest, and whose the largest is
  float second_shift_ = 0.0f;
  std::uint32_t max_shift_index_ = 0;
  std::vector<float> half_gap_;
  std::vector<RankedNeighbour> neighbours_;  // [centre][rank]: the centres by distance
  std::size_t ranked_stride_;
  std::vector<float> ranked_columns_;         // [centre][dim][rank]: the neighbours' coordinates
  std::vector<std::int32_t> ranked_indices_;  // [centre][rank]: the neighbours' indices
  std::vector<double> sums_;                  // [centre][dim]: Σ w·x of each cluster
  std::vector<double> masses_;                // [centre]: Σ w
  std::vector<std::uint64_t> counts_;         // [centre]: points
  std::vector<double> chunk_sums_;            // the first assignment's partials, per chunk
  std::vector<double> chunk_masses_;
  std::vector<std::uint32_t> chunk_counts_;
  std::vector<std::vector<Move>> moves_;  // [chunk]
  double inertia_ = 0.0;
  std::size_t iterations_ = 0;
};

}  // namespace

bool farther(const FarPoint& a, const FarPoint& b) {
  return a.distance > b.distance || (a.distance == b.distance && a.index < b.index);
}

double lloyd_tolerance(const VectorPoints& points, const LloydOptions& options,
                       const ChunkRunner& runner) {
  return options.tol * mean_variance(points, runner);
}

LloydFit fit_lloyd_kmeans(const VectorPoints& points, const LloydOptions& options,
                          const ChunkRunner& runner) {
  const double tolerance = lloyd_tolerance(points, options, runner);
  LloydRun run(points, options, runner);
  LloydFit best;
  for (int init = 0; init < std::max(1, options.n_init); ++init) {
    RandomStream random(derive_seed(options.seed, static_cast<std::uint64_t>(init)));
    run.run(kmeans_plus_plus(points, options.k, random), tolerance);
    best.iterations += run.iterations();
    if (init == 0 || run.inertia() < best.inertia) {
      best.centroids = run.centres();
      best.labels = run.labels();
      best.inertia = run.inertia();
    }
  }
  return best;
}

}  // namespace kmlut::cpu
