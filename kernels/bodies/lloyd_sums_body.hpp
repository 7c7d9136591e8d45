// The centroid reductions of vector Lloyd as kernel bodies, in the CPU's fixed order
// (host/backends/cpu/lloyd_kmeans.cpp), with no float atomics, so the device's sums, centres and
// inertia are the CPU's bits:
//   - the first assignment sums each chunk of kLloydChunk points in point order, and the chunk
//     partials are added in chunk order;
//   - later assignments move the points that changed cluster between the sums, in point order;
//     an emptied cluster's sums are cleared;
//   - a centre is float(Σ w·x / Σ w), an empty cluster keeps its centre;
//   - the inertia sums each chunk in point order in float64, the chunks in chunk order.
// One thread owns one (cluster, coordinate) sum (the coordinate d standing for the mass), so
// every sum is sequential.
//
// Launched by the CUDA backend's vector fit (host/backends/cuda/vector_fit_driver.cpp); tested on
// the CPU grid executor against fit_lloyd_kmeans, alone and within whole fits.
#pragma once

#include <cstdint>

#include "kmlut/numeric/host_device.hpp"
#include "kmlut/numeric/lloyd_arithmetic.hpp"

namespace kmlut::cuda {

constexpr unsigned kLloydThreads = 256;
constexpr std::uint32_t kLloydChunk = numeric::kLloydChunkPoints;

// The points of one problem and its clustering state (device memory).
struct LloydProblem {
  const float* points;    // n rows of d floats
  const double* weights;  // n, or null: every point weighs 1
  std::uint32_t n;
  std::int32_t d;
  std::uint32_t k;
  const std::uint8_t* labels;   // n
  float* centres;               // k rows of d floats
  double* sums;                 // k rows of d + 1: Σ w·x per coordinate, then Σ w
  std::uint64_t* counts;        // k
  double* chunk_sums;           // chunks × k × (d + 1): the first assignment's partials
  std::uint32_t* chunk_counts;  // chunks × k
  double* chunk_inertia;        // chunks
};

// A point that changed cluster, in point order.
struct LloydMove {
  std::uint32_t point;
  std::uint8_t from;
  std::uint8_t to;
};

KMLUT_HD inline std::uint32_t lloyd_chunks(std::uint32_t n) {
  return (n + kLloydChunk - 1) / kLloydChunk;
}

KMLUT_HD inline double lloyd_weight(const LloydProblem& p, std::uint32_t i) {
  return p.weights != nullptr ? p.weights[i] : 1.0;
}

// Block b sums chunk b of the problem: thread per (cluster, coordinate or mass), points in order.
template <class Thread>
KMLUT_HD void lloyd_chunk_sums_body(const Thread& at, const LloydProblem& p) {
  const std::uint32_t chunk = at.block();
  const std::uint32_t begin = chunk * kLloydChunk;
  const std::uint32_t end = begin + kLloydChunk < p.n ? begin + kLloydChunk : p.n;
  const std::uint32_t row = static_cast<std::uint32_t>(p.d) + 1;
  for (std::uint32_t slot = at.thread(); slot < p.k * row; slot += at.threads()) {
    const std::uint32_t c = slot / row;
    const std::uint32_t j = slot - c * row;
    double sum = 0.0;
    std::uint32_t count = 0;
    for (std::uint32_t i = begin; i < end; ++i) {
      if (p.labels[i] != c)
        continue;
      const double w = lloyd_weight(p, i);
      sum += j < static_cast<std::uint32_t>(p.d)
                 ? w * p.points[std::uint64_t{i} * static_cast<std::uint32_t>(p.d) + j]
                 : w;
      ++count;
    }
    p.chunk_sums[std::uint64_t{chunk} * p.k * row + slot] = sum;
    if (j == 0)
      p.chunk_counts[std::uint64_t{chunk} * p.k + c] = count;
  }
}

// One block: the chunk partials added in chunk order.
template <class Thread>
KMLUT_HD void lloyd_combine_sums_body(const Thread& at, const LloydProblem& p) {
  const std::uint32_t row = static_cast<std::uint32_t>(p.d) + 1;
  const std::uint32_t chunks = lloyd_chunks(p.n);
  for (std::uint32_t slot = at.thread(); slot < p.k * row; slot += at.threads()) {
    double sum = 0.0;
    std::uint64_t count = 0;
    for (std::uint32_t chunk = 0; chunk < chunks; ++chunk) {
      sum += p.chunk_sums[std::uint64_t{chunk} * p.k * row + slot];
      count += p.chunk_counts[std::uint64_t{chunk} * p.k + slot / row];
    }
    p.sums[slot] = sum;
    if (slot % row == 0)
      p.counts[slot / row] = count;
  }
}

// A cluster's point count after the moves.
KMLUT_HD inline std::uint64_t count_after_moves(std::uint64_t count, std::uint32_t c,
                                                const LloydMove* moves, std::uint32_t move_count) {
  for (std::uint32_t m = 0; m < move_count; ++m)
    count = count - (moves[m].from == c ? 1 : 0) + (moves[m].to == c ? 1 : 0);
  return count;
}

// One block: the moves applied in order; a cluster left empty has its sums cleared.
template <class Thread>
KMLUT_HD void lloyd_apply_moves_body(const Thread& at, const LloydProblem& p,
                                     const LloydMove* moves, std::uint32_t move_count) {
  const std::uint32_t row = static_cast<std::uint32_t>(p.d) + 1;
  for (std::uint32_t slot = at.thread(); slot < p.k * row; slot += at.threads()) {
    const std::uint32_t c = slot / row;
    const std::uint32_t j = slot - c * row;
    double sum = p.sums[slot];
    for (std::uint32_t m = 0; m < move_count; ++m) {
      const LloydMove move = moves[m];
      if (move.from != c && move.to != c)
        continue;
      const double w = lloyd_weight(p, move.point);
      const double term =
          j < static_cast<std::uint32_t>(p.d)
              ? w * p.points[std::uint64_t{move.point} * static_cast<std::uint32_t>(p.d) + j]
              : w;
      if (move.from == c)
        sum -= term;
      if (move.to == c)
        sum += term;
    }
    p.sums[slot] = count_after_moves(p.counts[c], c, moves, move_count) == 0 ? 0.0 : sum;
  }
  at.sync();  // the counts are read above before they change below
  for (std::uint32_t c = at.thread(); c < p.k; c += at.threads())
    p.counts[c] = count_after_moves(p.counts[c], c, moves, move_count);
}

// One block: each non-empty cluster's centre becomes the mean of its points.
template <class Thread>
KMLUT_HD void lloyd_means_body(const Thread& at, const LloydProblem& p) {
  const std::uint32_t d = static_cast<std::uint32_t>(p.d);
  for (std::uint32_t v = at.thread(); v < p.k * d; v += at.threads()) {
    const std::uint32_t c = v / d;
    if (p.counts[c] != 0)
      p.centres[v] =
          static_cast<float>(p.sums[c * (d + 1) + (v - c * d)] / p.sums[c * (d + 1) + d]);
  }
}

// One thread per chunk (grid-wide): Σ w·‖x − c_label‖² in float64, points in order.
template <class Thread>
KMLUT_HD void lloyd_chunk_inertia_body(const Thread& at, const LloydProblem& p) {
  const std::uint32_t chunk = at.block() * at.threads() + at.thread();
  if (chunk >= lloyd_chunks(p.n))
    return;
  const std::uint32_t d = static_cast<std::uint32_t>(p.d);
  const std::uint32_t begin = chunk * kLloydChunk;
  const std::uint32_t end = begin + kLloydChunk < p.n ? begin + kLloydChunk : p.n;
  double sum = 0.0;
  for (std::uint32_t i = begin; i < end; ++i) {
    const float* x = &p.points[std::uint64_t{i} * d];
    const float* c = &p.centres[std::uint64_t{p.labels[i]} * d];
    double squared = 0.0;
    for (std::uint32_t j = 0; j < d; ++j) {
      const double diff = double{x[j]} - double{c[j]};
      squared += diff * diff;
    }
    sum += lloyd_weight(p, i) * squared;
  }
  p.chunk_inertia[chunk] = sum;
}

// The inertia: the chunk sums in chunk order (one thread).
KMLUT_HD inline double lloyd_inertia(const LloydProblem& p) {
  double total = 0.0;
  for (std::uint32_t chunk = 0; chunk < lloyd_chunks(p.n); ++chunk)
    total += p.chunk_inertia[chunk];
  return total;
}

}  // namespace kmlut::cuda
