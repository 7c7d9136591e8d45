#include "host/backends/cuda/vector_fit_driver.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "host/backends/cpu/random_stream.hpp"
#include "kmlut/error.hpp"
#include "kmlut/numeric/lloyd_arithmetic.hpp"

namespace kmlut::cuda {
namespace {

// Points per block of the nearest-centre launch: eight per thread.
constexpr std::uint32_t kTilePoints = 8 * kNearestCentreThreads;

// One problem's device state, reused by every run of the fit.
class DeviceLloydRun {
 public:
  DeviceLloydRun(const cpu::VectorPoints& points, const cpu::LloydOptions& options,
                 VectorFitDevice& device)
      : host_(points),
        options_(options),
        device_(device),
        n_(static_cast<std::uint32_t>(points.n)),
        d_(static_cast<std::uint32_t>(points.d)),
        k_(static_cast<std::uint32_t>(options.k)),
        row_(d_ + 1) {
    allocate_problem();
    allocate_seeding();
    allocate_tiles();
  }

  // k-means++ from the stream seed of this run, on the device; the host keeps the centres.
  void seed(std::uint64_t stream_seed) {
    seeding_.stream_seed = stream_seed;
    device_.zero(seeding_.taken, words(n_) * sizeof(std::uint32_t));
    device_.upload(seeding_device_, &seeding_, sizeof seeding_);
    device_.kmeans_plus_plus(seeding_device_, 1);
    centres_.resize(std::size_t{k_} * d_);
    device_.download(centres_.data(), problem_.centres, centres_.size() * sizeof(float));
  }

  // LloydRun::run of the CPU backend, step for step.
  void run(double tolerance) {
    iterations_ = 0;
    bool first = true;
    bool converged = false;
    while (!converged && iterations_ < static_cast<std::size_t>(options_.max_iter)) {
      const std::uint32_t changed = assign(first);
      const double shift = update_centres();
      ++iterations_;
      converged = (!first && changed == 0) || shift <= tolerance;
      first = false;
    }
    assign(false);
    device_.lloyd_means(problem_);
    device_.download(centres_.data(), problem_.centres, centres_.size() * sizeof(float));
    inertia_ = measure_inertia();
  }

  std::vector<std::uint8_t> labels() const {
    std::vector<std::uint8_t> labels(n_);
    device_.download(labels.data(), problem_.labels, n_);
    return labels;
  }
  const std::vector<float>& centres() const { return centres_; }
  double inertia() const { return inertia_; }
  std::size_t iterations() const { return iterations_; }

 private:
  static std::uint32_t words(std::uint32_t bits) { return (bits + 31) / 32; }

  template <class T>
  T* allocate(std::size_t count) {
    return static_cast<T*>(device_.allocate(std::max<std::size_t>(count, 1) * sizeof(T)));
  }

  void allocate_problem() {
    const std::uint32_t chunks = lloyd_chunks(n_);
    auto* points = allocate<float>(std::size_t{n_} * d_);
    device_.upload(points, host_.data, std::size_t{n_} * d_ * sizeof(float));
    double* weights = nullptr;
    if (host_.weights != nullptr) {
      weights = allocate<double>(n_);
      device_.upload(weights, host_.weights, std::size_t{n_} * sizeof(double));
    }
    labels_ = allocate<std::uint8_t>(n_);
    previous_ = allocate<std::uint8_t>(n_);
    upper_ = allocate<float>(n_);
    lower_ = allocate<float>(n_);
    move_list_ = {labels_,
                  previous_,
                  n_,
                  allocate<std::uint32_t>(chunks),
                  allocate<LloydMove>(n_),
                  allocate<std::uint32_t>(1)};
    problem_ = {points,
                weights,
                n_,
                static_cast<std::int32_t>(d_),
                k_,
                labels_,
                allocate<float>(std::size_t{k_} * d_),
                allocate<double>(std::size_t{k_} * row_),
                allocate<std::uint64_t>(k_),
                allocate<double>(std::size_t{chunks} * k_ * row_),
                allocate<std::uint32_t>(std::size_t{chunks} * k_),
                allocate<double>(chunks)};
  }

  void allocate_seeding() {
    const std::uint32_t m = seeding_sample_size(n_, k_);
    seeding_.points = problem_.points;
    seeding_.weights = problem_.weights;
    seeding_.n = n_;
    seeding_.d = static_cast<std::int32_t>(d_);
    seeding_.k = k_;
    seeding_.taken = allocate<std::uint32_t>(words(n_));
    seeding_.sample = allocate<std::uint32_t>(m);
    seeding_.sample_weight = allocate<double>(m);
    for (double*& distances : seeding_.distances)
      distances = allocate<double>(m);
    seeding_.mass = allocate<double>(m);
    seeding_.centres = problem_.centres;
    seeding_device_ = allocate<SeedingProblem>(1);
  }

  // Two sets of tiles, searching every point or with the bounds; they never change: the centres
  // and their bounds are updated in place.
  void allocate_tiles() {
    bounds_ = allocate<CentreBounds>(1);
    for (bool bounded : {false, true}) {
      std::vector<NearestCentreTile> tiles;
      for (std::uint32_t first = 0; first < n_; first += kTilePoints) {
        tiles.push_back({problem_.points + std::size_t{first} * d_,
                         std::min(kTilePoints, n_ - first), static_cast<std::int32_t>(d_),
                         problem_.centres, k_, bounded ? bounds_ : nullptr, labels_ + first,
                         upper_ + first, lower_ + first});
      }
      tile_count_ = static_cast<std::uint32_t>(tiles.size());
      NearestCentreTile*& device_tiles = bounded ? bounded_tiles_ : searching_tiles_;
      device_tiles = allocate<NearestCentreTile>(tiles.size());
      device_.upload(device_tiles, tiles.data(), tiles.size() * sizeof(NearestCentreTile));
    }
  }

  // Every point's nearest centre, then the cluster sums brought up to date; returns how many
  // labels changed (all of them in the first assignment).
  std::uint32_t assign(bool first) {
    if (first) {
      device_.nearest_centre(searching_tiles_, tile_count_);
      device_.lloyd_first_sums(problem_);
      device_.copy(previous_, labels_, n_);
      return n_;
    }
    upload_bounds();
    device_.nearest_centre(bounded_tiles_, tile_count_);
    device_.lloyd_collect_moves(move_list_);
    std::uint32_t changed = 0;
    device_.download(&changed, move_list_.move_count, sizeof changed);
    device_.lloyd_moves(problem_, move_list_.moves, changed);
    return changed;
  }

  // The CPU's update_centres: empty clusters take donors, every other centre becomes its mean;
  // returns Σ ‖shift‖² summed as the CPU sums it.
  double update_centres() {
    counts_.resize(k_);
    device_.download(counts_.data(), problem_.counts, k_ * sizeof(std::uint64_t));
    std::vector<std::uint32_t> empty;
    for (std::uint32_t c = 0; c < k_; ++c) {
      if (counts_[c] == 0)
        empty.push_back(c);
    }
    if (!empty.empty())
      relocate(empty);
    device_.lloyd_means(problem_);
    std::vector<float> next(centres_.size());
    device_.download(next.data(), problem_.centres, next.size() * sizeof(float));
    return record_shifts(next);
  }

  // The CPU's record_shifts: Σ ‖shift‖², and each centre's shift for the bounds.
  double record_shifts(std::vector<float>& next) {
    double total = 0.0;
    bounds_host_.max_shift = bounds_host_.second_shift = 0.0f;
    bounds_host_.max_shift_index = 0;
    for (std::uint32_t c = 0; c < k_; ++c) {
      const float squared = numeric::squared_distance(&next[c * d_], &centres_[c * d_], problem_.d);
      total += squared;
      const float shift = std::sqrt(squared);
      bounds_host_.shift[c] = shift;
      if (shift > bounds_host_.max_shift) {
        bounds_host_.second_shift = bounds_host_.max_shift;
        bounds_host_.max_shift = shift;
        bounds_host_.max_shift_index = c;
      } else if (shift > bounds_host_.second_shift) {
        bounds_host_.second_shift = shift;
      }
    }
    centres_.swap(next);
    return total;
  }

  // The CPU's compute_centre_distances, for what the bounds use of it: half of each centre's
  // distance to its nearest other centre (the second of its distances to all, its own 0 first).
  void upload_bounds() {
    for (std::uint32_t a = 0; a < k_; ++a) {
      float nearest = std::numeric_limits<float>::infinity();
      for (std::uint32_t b = 0; b < k_; ++b) {
        if (b != a) {
          nearest = std::min(nearest, std::sqrt(numeric::squared_distance(
                                          &centres_[a * d_], &centres_[b * d_], problem_.d)));
        }
      }
      bounds_host_.half_gap[a] = 0.5f * nearest;
    }
    device_.upload(bounds_, &bounds_host_, sizeof bounds_host_);
  }

  // The CPU's relocate: each empty cluster takes one of the points farthest from their centres,
  // moving its sums on the host in the CPU's arithmetic; the labels change in both label arrays,
  // so the next reassignment sees the move, and the point's bounds are zeroed as the CPU's are.
  void relocate(const std::vector<std::uint32_t>& empty) {
    std::vector<std::uint8_t> labels(n_);
    std::vector<double> sums(std::size_t{k_} * row_);
    device_.download(labels.data(), labels_, n_);
    device_.download(sums.data(), problem_.sums, sums.size() * sizeof(double));
    std::vector<cpu::FarPoint> far(n_);
    for (std::uint32_t i = 0; i < n_; ++i) {
      far[i] = {numeric::squared_distance(host_.point(i), &centres_[labels[i] * d_], problem_.d),
                i};
    }
    const std::size_t keep = std::min<std::size_t>(empty.size(), far.size());
    std::partial_sort(far.begin(), far.begin() + static_cast<std::ptrdiff_t>(keep), far.end(),
                      cpu::farther);
    for (std::size_t e = 0; e < keep; ++e) {
      const auto p = static_cast<std::uint32_t>(far[e].index);
      const std::uint32_t from = labels[p];
      const std::uint32_t to = empty[e];
      const float* x = host_.point(p);
      const double w = host_.weight(p);
      for (std::uint32_t j = 0; j < d_; ++j) {
        sums[from * row_ + j] -= w * x[j];
        sums[to * row_ + j] += w * x[j];
      }
      sums[from * row_ + d_] -= w;
      sums[to * row_ + d_] += w;
      --counts_[from];
      ++counts_[to];
      if (counts_[from] == 0)  // no rounding residue in an empty cluster
        std::fill(&sums[from * row_], &sums[from * row_] + row_, 0.0);
      labels[p] = static_cast<std::uint8_t>(to);
      const float zero = 0.0f;
      device_.upload(upper_ + p, &zero, sizeof zero);
      device_.upload(lower_ + p, &zero, sizeof zero);
    }
    device_.upload(problem_.sums, sums.data(), sums.size() * sizeof(double));
    device_.upload(problem_.counts, counts_.data(), k_ * sizeof(std::uint64_t));
    device_.upload(labels_, labels.data(), n_);
    device_.upload(previous_, labels.data(), n_);
  }

  // The chunk partials from the device, added in chunk order.
  double measure_inertia() {
    device_.lloyd_chunk_inertia(problem_);
    std::vector<double> partial(lloyd_chunks(n_));
    device_.download(partial.data(), problem_.chunk_inertia, partial.size() * sizeof(double));
    double total = 0.0;
    for (double sum : partial)
      total += sum;
    return total;
  }

  const cpu::VectorPoints& host_;
  const cpu::LloydOptions& options_;
  VectorFitDevice& device_;
  std::uint32_t n_;
  std::uint32_t d_;
  std::uint32_t k_;
  std::uint32_t row_;  // a cluster's sums: d coordinates, then the mass
  LloydProblem problem_{};
  SeedingProblem seeding_{};
  SeedingProblem* seeding_device_ = nullptr;
  NearestCentreTile* searching_tiles_ = nullptr;
  NearestCentreTile* bounded_tiles_ = nullptr;
  std::uint32_t tile_count_ = 0;
  CentreBounds* bounds_ = nullptr;
  CentreBounds bounds_host_{};
  std::uint8_t* labels_ = nullptr;    // written by each assignment
  std::uint8_t* previous_ = nullptr;  // the labels before it
  float* upper_ = nullptr;            // Hamerly's bounds per point, as the CPU keeps them
  float* lower_ = nullptr;
  LloydMoveList move_list_{};
  std::vector<float> centres_;  // the host's copy of the device's centres
  std::vector<std::uint64_t> counts_;
  double inertia_ = 0.0;
  std::size_t iterations_ = 0;
};

// Releases the device's buffers however the fit ends.
class Released {
 public:
  explicit Released(VectorFitDevice& device) : device_(device) {}
  Released(const Released&) = delete;
  Released& operator=(const Released&) = delete;
  ~Released() { device_.release_all(); }

 private:
  VectorFitDevice& device_;
};

}  // namespace

cpu::LloydFit fit_lloyd_kmeans_on_device(const cpu::VectorPoints& points,
                                         const cpu::LloydOptions& options,
                                         const cpu::ChunkRunner& runner, VectorFitDevice& device) {
  if (points.d < 2 || points.d > kMaxDeviceVectorDim || options.k == 0 ||
      options.k > kMaxDeviceClusters || options.k > points.n ||
      points.n > std::numeric_limits<std::uint32_t>::max()) {
    throw Error(
        "the device vector fit takes 2 <= d <= 8 and 1 <= k <= min(256, n) with n < 2^32;"
        " got d " +
        std::to_string(points.d) + ", k " + std::to_string(options.k) + ", n " +
        std::to_string(points.n));
  }
  const double tolerance = cpu::lloyd_tolerance(points, options, runner);
  const Released released(device);
  DeviceLloydRun run(points, options, device);
  cpu::LloydFit best;
  for (int init = 0; init < std::max(1, options.n_init); ++init) {
    run.seed(cpu::derive_seed(options.seed, static_cast<std::uint64_t>(init)));
    run.run(tolerance);
    best.iterations += run.iterations();
    if (init == 0 || run.inertia() < best.inertia) {
      best.centroids = run.centres();
      best.labels = run.labels();
      best.inertia = run.inertia();
    }
  }
  return best;
}

bool vector_fit_on_device(const PalettizeRequest& request) {
  return request.spec.cluster_dim > 1 && request.spec.cluster_dim <= kMaxDeviceVectorDim;
}

}  // namespace kmlut::cuda
