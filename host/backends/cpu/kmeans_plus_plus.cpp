#include "host/backends/cpu/kmeans_plus_plus.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "host/backends/cpu/centroid_table.hpp"

namespace kmlut::cpu {
namespace {

// m distinct indices of [0, n), ascending (Floyd's algorithm: m draws, no array of n).
std::vector<std::size_t> uniform_subsample(std::size_t n, std::size_t m, RandomStream& random) {
  std::unordered_set<std::size_t> chosen;
  chosen.reserve(m * 2);
  for (std::size_t j = n - m; j < n; ++j) {
    const std::size_t t = random.below(j + 1);
    chosen.insert(chosen.count(t) != 0 ? j : t);
  }
  std::vector<std::size_t> sample(chosen.begin(), chosen.end());
  std::sort(sample.begin(), sample.end());
  return sample;
}

// The first index whose running sum of `mass` exceeds `target` (the last one if rounding leaves
// the target at the total).
std::size_t draw(const std::vector<double>& mass, double target) {
  double running = 0.0;
  for (std::size_t i = 0; i < mass.size(); ++i) {
    running += mass[i];
    if (target < running)
      return i;
  }
  return mass.size() - 1;
}

class Seeder {
 public:
  Seeder(const VectorPoints& points, std::size_t k, RandomStream& random)
      : points_(points), k_(k), random_(random) {
    const std::size_t m = std::min(points.n, std::max(kSeedingSampleMin, 32 * k));
    if (m < points.n) {
      sample_ = uniform_subsample(points.n, m, random);
    } else {
      sample_.resize(points.n);
      for (std::size_t i = 0; i < points.n; ++i)
        sample_[i] = i;
    }
    weight_.resize(sample_.size());
    for (std::size_t i = 0; i < sample_.size(); ++i)
      weight_[i] = points.weight(sample_[i]);
    const auto d = static_cast<std::size_t>(points.d);
    columns_.resize(d * sample_.size());
    for (std::size_t i = 0; i < sample_.size(); ++i) {
      for (std::size_t j = 0; j < d; ++j)
        columns_[j * sample_.size() + i] = points.point(sample_[i])[j];
    }
    distance_.resize(sample_.size());
  }

  std::vector<float> run() {
    const int d = points_.d;
    std::vector<float> centres;
    centres.reserve(k_ * static_cast<std::size_t>(d));
    add_centre(centres, sample_[draw(weight_, random_.uniform() * total(weight_))]);
    closest_.resize(sample_.size());
    for (std::size_t i = 0; i < sample_.size(); ++i)
      closest_[i] = squared_distance(point(i), centres.data(), d);
    const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k_)));
    std::vector<double> mass(sample_.size());
    std::vector<double> candidate_closest(sample_.size());
    std::vector<double> best_closest(sample_.size());
    while (centres.size() < k_ * static_cast<std::size_t>(d)) {
      for (std::size_t i = 0; i < sample_.size(); ++i)
        mass[i] = weight_[i] * closest_[i];
      const double potential = total(mass);
      // Every sampled point already coincides with a centre: draw by weight alone.
      const std::vector<double>& by = potential > 0.0 ? mass : weight_;
      const double by_total = potential > 0.0 ? potential : total(weight_);
      double best_potential = std::numeric_limits<double>::infinity();
      std::size_t best = 0;
      for (int trial = 0; trial < trials; ++trial) {
        const std::size_t candidate = draw(by, random_.uniform() * by_total);
        const double candidate_potential = potential_with(candidate, candidate_closest);
        if (candidate_potential < best_potential) {
          best_potential = candidate_potential;
          best = candidate;
          best_closest.swap(candidate_closest);
        }
      }
      closest_.swap(best_closest);
      add_centre(centres, sample_[best]);
    }
    return centres;
  }

 private:
  const float* point(std::size_t i) const { return points_.point(sample_[i]); }

  static double total(const std::vector<double>& values) {
    double sum = 0.0;
    for (double value : values)
      sum += value;
    return sum;
  }

  void add_centre(std::vector<float>& centres, std::size_t index) const {
    const float* p = points_.point(index);
    centres.insert(centres.end(), p, p + points_.d);
  }

  // The weighted potential if sample point `candidate` became a centre; fills its D². The
  // distances are computed a dimension at a time over all sample points (the loop the compiler
  // vectorises), each still Σ_j (x_j − c_j)² in j order as `squared_distance` sums it; the
  // potential is then summed in point order.
  double potential_with(std::size_t candidate, std::vector<double>& candidate_closest) {
    const float* c = point(candidate);
    const std::size_t m = sample_.size();
    float* distance = distance_.data();
    std::fill(distance, distance + m, 0.0f);
    for (std::size_t j = 0; j < static_cast<std::size_t>(points_.d); ++j) {
      const float* column = &columns_[j * m];
      const float cj = c[j];
      for (std::size_t i = 0; i < m; ++i) {
        const float diff = column[i] - cj;
        distance[i] += diff * diff;
      }
    }
    double potential = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      candidate_closest[i] = std::min(closest_[i], double{distance[i]});
      potential += weight_[i] * candidate_closest[i];
    }
    return potential;
  }

  const VectorPoints& points_;
  std::size_t k_;
  RandomStream& random_;
  std::vector<std::size_t> sample_;
  std::vector<double> weight_;
  std::vector<float> columns_;   // [dim][sample point]: the sample, dimension-major
  std::vector<float> distance_;  // [sample point]: scratch of potential_with
  std::vector<double> closest_;
};

}  // namespace

std::vector<float> kmeans_plus_plus(const VectorPoints& points, std::size_t k,
                                    RandomStream& random) {
  return Seeder(points, k, random).run();
}

}  // namespace kmlut::cpu
