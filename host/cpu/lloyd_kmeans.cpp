#include "host/cpu/lloyd_kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "host/cpu/centroid_table.hpp"
#include "host/cpu/kmeans_plus_plus.hpp"
#include "host/cpu/random_stream.hpp"

namespace kmlut::cpu {
namespace {

// Points per chunk: the unit of parallel work and of the fixed-order reductions.
constexpr std::size_t kChunk = 4096;
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

struct FarPoint {
  float distance;
  std::size_t index;
};

// Farthest first; the lowest index among equal distances.
bool farther(const FarPoint& a, const FarPoint& b) {
  return a.distance > b.distance || (a.distance == b.distance && a.index < b.index);
}

// One run of Lloyd's algorithm from given centres. The state is reused across runs.
class LloydRun {
 public:
  LloydRun(const VectorPoints& points, const LloydOptions& options, const ChunkRunner& runner)
      : points_(points),
        options_(options),
        runner_(runner),
        k_(options.k),
        d_(static_cast<std::size_t>(points.d)),
        chunks_(chunk_count(points.n)),
        labels_(points.n),
        upper_(points.n),
        lower_(points.n),
        shift_(k_),
        half_gap_(k_),
        sums_(chunks_ * k_ * d_),
        masses_(chunks_ * k_),
        counts_(chunks_ * k_),
        changed_(chunks_) {}

  void run(std::vector<float> centres, double tolerance) {
    centres_ = std::move(centres);
    iterations_ = 0;
    bool first = true;
    bool converged = false;
    while (!converged && iterations_ < static_cast<std::size_t>(options_.max_iter)) {
      assign_all(first);
      const std::size_t changed = total_changed();
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

  // Assigns every point and accumulates each chunk's per-centre sums, masses and counts.
  void assign_all(bool first) {
    table_.assign(centres_.data(), k_, points_.d);
    if (!first && options_.use_bounds)
      compute_half_gaps();
    runner_(chunks_, [&](std::size_t chunk) { assign_chunk(chunk, first); });
    // The centres just used no longer move the bounds.
    std::fill(shift_.begin(), shift_.end(), 0.0f);
    max_shift_ = second_shift_ = 0.0f;
  }

  // Half the distance from each centre to its nearest other centre: a point closer than that to
  // its own centre cannot be nearer to any other.
  void compute_half_gaps() {
    for (std::size_t a = 0; a < k_; ++a) {
      float nearest = kInfinity;
      for (std::size_t b = 0; b < k_; ++b) {
        if (b != a)
          nearest = std::min(nearest, squared_distance(centre(a), centre(b), points_.d));
      }
      half_gap_[a] = 0.5f * std::sqrt(nearest);
    }
  }

  void assign_chunk(std::size_t chunk, bool first) {
    const auto [begin, end] = chunk_range(chunk, points_.n);
    double* sums = &sums_[chunk * k_ * d_];
    double* masses = &masses_[chunk * k_];
    std::uint32_t* counts = &counts_[chunk * k_];
    std::fill(sums, sums + k_ * d_, 0.0);
    std::fill(masses, masses + k_, 0.0);
    std::fill(counts, counts + k_, 0u);
    std::size_t changed = 0;
    for (std::size_t i = begin; i < end; ++i) {
      const float* x = points_.point(i);
      const std::uint32_t previous = labels_[i];
      const std::uint32_t label =
          first || !options_.use_bounds ? search(i, x) : search_if_needed(i, x);
      changed += first || label != previous ? 1 : 0;
      const double w = points_.weight(i);
      for (std::size_t j = 0; j < d_; ++j)
        sums[label * d_ + j] += w * x[j];
      masses[label] += w;
      ++counts[label];
    }
    changed_[chunk] = changed;
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
    float upper = upper_[i] + shift_[label];
    const float lower = lower_[i] - (label == max_shift_index_ ? second_shift_ : max_shift_);
    const float bound = std::max(half_gap_[label], lower);
    upper_[i] = upper;
    lower_[i] = lower;
    if (upper <= bound)
      return label;
    upper = std::sqrt(squared_distance(x, centre(label), points_.d));
    upper_[i] = upper;
    if (upper <= bound)
      return label;
    return search(i, x);
  }

  std::size_t total_changed() const {
    std::size_t total = 0;
    for (std::size_t changed : changed_)
      total += changed;
    return total;
  }

  // Chunk partials summed in chunk order.
  void reduce(std::vector<double>& sums, std::vector<double>& masses,
              std::vector<std::uint64_t>& counts) const {
    sums.assign(k_ * d_, 0.0);
    masses.assign(k_, 0.0);
    counts.assign(k_, 0);
    for (std::size_t chunk = 0; chunk < chunks_; ++chunk) {
      for (std::size_t i = 0; i < k_ * d_; ++i)
        sums[i] += sums_[chunk * k_ * d_ + i];
      for (std::size_t c = 0; c < k_; ++c) {
        masses[c] += masses_[chunk * k_ + c];
        counts[c] += counts_[chunk * k_ + c];
      }
    }
  }

  // New centres from the sums; an empty cluster takes one of the points farthest from their
  // centres, which leaves its old cluster. Returns Σ ‖shift‖² and records the shifts for the
  // bounds.
  double update_centres() {
    std::vector<double> sums;
    std::vector<double> masses;
    std::vector<std::uint64_t> counts;
    reduce(sums, masses, counts);
    std::vector<float> next = centres_;
    std::vector<std::size_t> empty;
    for (std::size_t c = 0; c < k_; ++c) {
      if (counts[c] == 0)
        empty.push_back(c);
    }
    if (!empty.empty())
      relocate(empty, sums, masses, counts, next);
    for (std::size_t c = 0; c < k_; ++c) {
      if (counts[c] == 0)
        continue;  // a relocated centre, or a donor left empty: keep what `next` holds
      for (std::size_t j = 0; j < d_; ++j)
        next[c * d_ + j] = static_cast<float>(sums[c * d_ + j] / masses[c]);
    }
    return record_shifts(next);
  }

  void relocate(const std::vector<std::size_t>& empty, std::vector<double>& sums,
                std::vector<double>& masses, std::vector<std::uint64_t>& counts,
                std::vector<float>& next) const {
    const std::vector<FarPoint> far = farthest_points(empty.size());
    for (std::size_t e = 0; e < empty.size() && e < far.size(); ++e) {
      const std::size_t p = far[e].index;
      const std::size_t donor = labels_[p];
      const double w = points_.weight(p);
      const float* x = points_.point(p);
      for (std::size_t j = 0; j < d_; ++j) {
        sums[donor * d_ + j] -= w * x[j];
        next[empty[e] * d_ + j] = x[j];
      }
      masses[donor] -= w;
      --counts[donor];
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
    std::vector<double> sums;
    std::vector<double> masses;
    std::vector<std::uint64_t> counts;
    reduce(sums, masses, counts);
    for (std::size_t c = 0; c < k_; ++c) {
      if (counts[c] == 0)
        continue;
      for (std::size_t j = 0; j < d_; ++j)
        centres_[c * d_ + j] = static_cast<float>(sums[c * d_ + j] / masses[c]);
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
  CentroidTable table_;
  std::vector<float> centres_;
  std::vector<std::uint8_t> labels_;
  std::vector<float> upper_;     // ≥ distance to the own centre
  std::vector<float> lower_;     // ≤ distance to every other centre
  std::vector<float> shift_;     // how far each centre moved since the bounds were last moved
  float max_shift_ = 0.0f;       // the largest shift ...
  float second_shift_ = 0.0f;    // ... the second largest ...
  std::uint32_t max_shift_index_ = 0;  // ... and whose the largest is
  std::vector<float> half_gap_;
  std::vector<double> sums_;            // [chunk][centre][dim]
  std::vector<double> masses_;          // [chunk][centre]
  std::vector<std::uint32_t> counts_;   // [chunk][centre]
  std::vector<std::size_t> changed_;    // [chunk]: labels changed in the last assignment
  double inertia_ = 0.0;
  std::size_t iterations_ = 0;
};

}  // namespace

LloydFit fit_lloyd_kmeans(const VectorPoints& points, const LloydOptions& options,
                          const ChunkRunner& runner) {
  const double tolerance = options.tol * mean_variance(points, runner);
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
