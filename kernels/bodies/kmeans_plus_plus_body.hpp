// Greedy k-means++ seeding as a kernel body, one grid block per problem, drawing the CPU's random
// stream (kmlut/numeric/random_stream.hpp) in the CPU's order (host/backends/cpu/
// kmeans_plus_plus.cpp), so the seeds are the CPU's: a uniform subsample of
// m = min(n, max(16384, 32k)) points (Floyd's algorithm), the first centre drawn by weight, then
// per centre 2 + ⌊ln k⌋ candidates drawn by weight × D², keeping the one with the lowest potential.
// The per-point distances run on every thread; the random draws and every sum that decides a draw
// run on thread 0 in point order, because the CPU's sums are sequential and a draw is the first
// point whose running sum exceeds the target.
//
// Launched by the CUDA backend's vector fit (host/backends/cuda/vector_fit_driver.cpp); tested on
// the CPU grid executor against kmeans_plus_plus, alone and within whole fits.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/bodies/nearest_centre_body.hpp"
#include "kmlut/numeric/host_device.hpp"
#include "kmlut/numeric/random_stream.hpp"

namespace kmlut::cuda {

constexpr unsigned kSeedingThreads = 256;
// The smallest subsample (kmeans_plus_plus.hpp's kSeedingSampleMin).
constexpr std::uint32_t kSeedingSampleMin = 16384;

// One problem (device memory). Workspaces: `taken` n bits zeroed, the rest m entries.
struct SeedingProblem {
  const float* points;    // n rows of d floats
  const double* weights;  // n, or null: every point weighs 1
  std::uint32_t n;
  std::int32_t d;
  std::uint32_t k;            // 1..n
  std::uint64_t stream_seed;  // the RandomStream's seed
  std::uint32_t* taken;       // (n + 31) / 32 words, zeroed: the subsample as a bit set
  std::uint32_t* sample;      // m: the sampled points, ascending
  double* sample_weight;      // m
  double* distances[3];       // m each: the closest D², a candidate's, the best candidate's
  double* mass;               // m
  float* centres;             // out: k rows of d floats
};

KMLUT_HD inline std::uint32_t seeding_sample_size(std::uint32_t n, std::uint32_t k) {
  const std::uint32_t wanted = 32 * k > kSeedingSampleMin ? 32 * k : kSeedingSampleMin;
  return n < wanted ? n : wanted;
}

// What thread 0 decides for the block (the random stream is thread 0's own).
struct SeedingShared {
  std::uint32_t m;
  std::uint32_t candidate;
  double* closest;
  double* candidate_closest;
  double* best_closest;
};

// The first index whose running sum of `mass` exceeds `target`, else the last (the CPU's draw).
KMLUT_HD inline std::uint32_t draw_by(const double* mass, std::uint32_t count, double target) {
  double running = 0.0;
  for (std::uint32_t i = 0; i < count; ++i) {
    running += mass[i];
    if (target < running)
      return i;
  }
  return count - 1;
}

KMLUT_HD inline double sequential_total(const double* values, std::uint32_t count) {
  double sum = 0.0;
  for (std::uint32_t i = 0; i < count; ++i)
    sum += values[i];
  return sum;
}

// Thread 0: Floyd's m distinct draws of [0, n) into the bit set, then the set in ascending order.
KMLUT_HD inline void draw_subsample(const SeedingProblem& p, std::uint32_t m,
                                    numeric::RandomStream& random) {
  if (m == p.n) {
    for (std::uint32_t i = 0; i < p.n; ++i)
      p.sample[i] = i;
    return;
  }
  const auto has = [&](std::uint64_t i) { return (p.taken[i / 32] >> (i % 32)) & 1u; };
  for (std::uint64_t j = p.n - m; j < p.n; ++j) {
    const std::uint64_t t = random.below(j + 1);
    const std::uint64_t chosen = has(t) ? j : t;
    p.taken[chosen / 32] |= 1u << (chosen % 32);
  }
  std::uint32_t next = 0;
  for (std::uint32_t i = 0; i < p.n; ++i) {
    if (has(i))
      p.sample[next++] = i;
  }
}

template <class Thread>
KMLUT_HD void add_centre(const Thread& at, const SeedingProblem& p, std::uint32_t centre,
                         std::uint32_t point) {
  const std::uint32_t d = static_cast<std::uint32_t>(p.d);
  for (std::uint32_t j = at.thread(); j < d; j += at.threads())
    p.centres[std::uint64_t{centre} * d + j] = p.points[std::uint64_t{point} * d + j];
}

// Every thread, its sampled points: D² to sample point `candidate`, lowered to `closest` (when
// given) as the CPU's std::min does.
template <class Thread>
KMLUT_HD void distances_to(const Thread& at, const SeedingProblem& p, std::uint32_t m,
                           std::uint32_t candidate, const double* closest, double* out) {
  const std::uint32_t d = static_cast<std::uint32_t>(p.d);
  const float* c = &p.points[std::uint64_t{p.sample[candidate]} * d];
  for (std::uint32_t i = at.thread(); i < m; i += at.threads()) {
    const double distance =
        numeric::squared_distance(&p.points[std::uint64_t{p.sample[i]} * d], c, p.d);
    out[i] = closest != nullptr && !(distance < closest[i]) ? closest[i] : distance;
  }
}

// Thread 0: Σ w·D² over the sample in point order.
KMLUT_HD inline double weighted_total(const double* weight, const double* distances,
                                      std::uint32_t m) {
  double sum = 0.0;
  for (std::uint32_t i = 0; i < m; ++i)
    sum += weight[i] * distances[i];
  return sum;
}

template <class Thread>
KMLUT_HD void start_seeding(const Thread& at, const SeedingProblem& p,
                            numeric::RandomStream& random, SeedingShared& shared) {
  if (at.thread() == 0) {
    shared.m = seeding_sample_size(p.n, p.k);
    draw_subsample(p, shared.m, random);
    shared.closest = p.distances[0];
    shared.candidate_closest = p.distances[1];
    shared.best_closest = p.distances[2];
  }
  at.sync();
  for (std::uint32_t i = at.thread(); i < shared.m; i += at.threads())
    p.sample_weight[i] = p.weights != nullptr ? p.weights[p.sample[i]] : 1.0;
  at.sync();
  if (at.thread() == 0) {
    const double target = random.uniform() * sequential_total(p.sample_weight, shared.m);
    shared.candidate = draw_by(p.sample_weight, shared.m, target);
  }
  at.sync();
  add_centre(at, p, 0, p.sample[shared.candidate]);
  distances_to(at, p, shared.m, shared.candidate, nullptr, shared.closest);
  at.sync();
}

// Block b seeds problems[b].
template <class Thread>
KMLUT_HD void kmeans_plus_plus_body(const Thread& at, const SeedingProblem* problems,
                                    SeedingShared& shared) {
  const SeedingProblem& p = problems[at.block()];
  numeric::RandomStream random(p.stream_seed);  // drawn from by thread 0 only
  start_seeding(at, p, random, shared);
  const std::uint32_t m = shared.m;
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(p.k)));
  // Thread 0's own decisions, kept across the trials.
  const double* by = nullptr;
  double by_total = 0.0;
  double best_potential = 0.0;
  std::uint32_t best = 0;
  for (std::uint32_t centre = 1; centre < p.k; ++centre) {
    for (std::uint32_t i = at.thread(); i < m; i += at.threads())
      p.mass[i] = p.sample_weight[i] * shared.closest[i];
    at.sync();
    if (at.thread() == 0) {
      const double potential = sequential_total(p.mass, m);
      // Every sampled point already coincides with a centre: draw by weight alone.
      by = potential > 0.0 ? p.mass : p.sample_weight;
      by_total = potential > 0.0 ? potential : sequential_total(p.sample_weight, m);
      best_potential = std::numeric_limits<double>::infinity();
    }
    for (int trial = 0; trial < trials; ++trial) {
      if (at.thread() == 0)
        shared.candidate = draw_by(by, m, random.uniform() * by_total);
      at.sync();
      distances_to(at, p, m, shared.candidate, shared.closest, shared.candidate_closest);
      at.sync();
      if (at.thread() == 0) {
        const double potential = weighted_total(p.sample_weight, shared.candidate_closest, m);
        if (potential < best_potential) {
          best_potential = potential;
          best = shared.candidate;
          double* swapped = shared.best_closest;
          shared.best_closest = shared.candidate_closest;
          shared.candidate_closest = swapped;
        }
      }
      at.sync();
    }
    if (at.thread() == 0) {
      double* swapped = shared.closest;
      shared.closest = shared.best_closest;
      shared.best_closest = swapped;
      shared.candidate = best;
    }
    at.sync();
    add_centre(at, p, centre, p.sample[shared.candidate]);
    at.sync();  // shared.candidate is rewritten next round
  }
}

}  // namespace kmlut::cuda
