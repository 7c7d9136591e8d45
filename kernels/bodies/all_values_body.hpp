// The all-values path on the device (BF16, F32 and F64 without fast mode; docs/architecture.md
// §5.5 step 4), as the CPU backend's ScalarBlockClusterer::solve_all_values runs it:
// - the all-values phase (kernels/all_values_points.cu), one grid block per problem after the
//   unique values: a stable LSD radix sort of the block's values by their sort keys
//   (kmlut/numeric/float_sort_keys.hpp: float32 keys for BF16 and F32, float64 keys for F64;
//   8-bit digits, each pass a block-wide stable counting sort, kernels/grid/stable_scatter.hpp),
//   then runs of equal keys become the weighted points the DP clusters (counts, or the run's
//   sensitivities added in sorted order, which is element order within a run);
// - after the DP (exact_dp_body.hpp), the centroids recomputed over every sorted value with the
//   shared running mean (numeric::cluster_means), as the CPU does to match coreai_opt, and each
//   cluster's largest value;
// - in the assignment, each element's index by binary search over those largest values.
// A block of more than 65,536 distinct values is flagged for the CPU backend (the device DP's
// workspace is sized for at most that many points).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kernels/bodies/float_format_dispatch.hpp"
#include "kernels/grid/block_collectives.hpp"
#include "kernels/grid/grid_atomics.hpp"
#include "kernels/grid/stable_scatter.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/numeric/cluster_cost.hpp"
#include "kmlut/numeric/distinct_points_kmeans.hpp"
#include "kmlut/numeric/float_sort_keys.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

constexpr unsigned kAllValuesThreads = 256;
constexpr unsigned kRadixDigitBits = 8;
constexpr std::uint32_t kRadixDigits = 1u << kRadixDigitBits;

struct AllValuesShared {
  std::uint32_t digit_count[kRadixDigits];
  std::uint64_t digit_cursor[kRadixDigits];
  std::uint32_t tile_buckets[kAllValuesThreads];
  ScanScratch<kAllValuesThreads, std::uint32_t> runs;
};

// One block's arrays (scalar_batch.hpp): after the sort, keys[0, n) and items[0, n) hold the
// sorted keys and their elements, and the second halves (the sort's scratch) the sorted values
// and sensitivities as doubles, which the centroids read.
struct AllValuesBlock {
  std::uint64_t elements;
  std::uint64_t* keys;
  std::uint64_t* items;
  double* sorted_values;
  double* sorted_weights;
  double* upper;  // 2^n_bits: the largest value of each cluster, the last repeated
};

KMLUT_HD inline AllValuesBlock all_values_block(const DeviceRequest& request, std::uint64_t block) {
  const std::uint64_t n = request.run_length * request.run_count;
  AllValuesBlock b;
  b.elements = n;
  b.keys = request.sort_keys + 2 * block * n;
  b.items = request.sort_items + 2 * block * n;
  b.sorted_values = reinterpret_cast<double*>(b.keys + n);
  b.sorted_weights = reinterpret_cast<double*>(b.items + n);
  b.upper = request.cluster_upper + (block << request.n_bits);
  return b;
}

template <class Format>
constexpr bool kDoubleKeys = std::is_same<typename Format::Storage, double>::value;

// The CPU sorts BF16 and F32 values as float32 keys, F64 values as doubles.
template <class Format>
KMLUT_HD std::uint64_t value_sort_key(typename Format::Storage stored) {
  if constexpr (kDoubleKeys<Format>) {
    return numeric::double_sort_key(stored);
  } else {
    return numeric::float_sort_key(static_cast<float>(Format::to_double(stored)));
  }
}

// A run's point: its key's value (+0 for the zeros, as the CPU's points).
template <class Format>
KMLUT_HD double value_of_sort_key(std::uint64_t key) {
  if constexpr (kDoubleKeys<Format>) {
    return numeric::double_of_sort_key(key);
  } else {
    return numeric::float_of_sort_key(static_cast<std::uint32_t>(key));
  }
}

// The sorted value the CPU's centroids read: the key's value for float32 keys, the element's own
// value for F64 (a zero's sign never changes a running mean from +0).
template <class Format>
KMLUT_HD double sorted_value(const DeviceRequest& request, std::uint64_t key,
                             std::uint64_t element) {
  if constexpr (kDoubleKeys<Format>) {
    return static_cast<const double*>(request.values)[element];
  } else {
    return value_of_sort_key<Format>(key);
  }
}

// One pass of the LSD radix sort: from (keys_in, items_in) to (keys_out, items_out) by the digit
// at `shift`, stably.
template <class Thread>
KMLUT_HD void radix_pass(const Thread& at, std::uint64_t n, unsigned shift,
                         const std::uint64_t* keys_in, const std::uint64_t* items_in,
                         std::uint64_t* keys_out, std::uint64_t* items_out,
                         AllValuesShared& shared) {
  const auto digit = [&](std::uint64_t i) {
    return static_cast<std::uint32_t>((keys_in[i] >> shift) & (kRadixDigits - 1));
  };
  for (std::uint32_t d = at.thread(); d < kRadixDigits; d += kAllValuesThreads)
    shared.digit_count[d] = 0;
  at.sync();
  for (std::uint64_t i = at.thread(); i < n; i += kAllValuesThreads)
    atomic_add(&shared.digit_count[digit(i)], 1u);  // integer counts: any order
  at.sync();
  if (at.thread() == 0) {
    std::uint64_t start = 0;
    for (std::uint32_t d = 0; d < kRadixDigits; ++d) {
      shared.digit_cursor[d] = start;
      start += shared.digit_count[d];
    }
  }
  at.sync();
  stable_scatter<kAllValuesThreads>(
      at, n, digit, [&](std::uint32_t d) -> std::uint64_t& { return shared.digit_cursor[d]; },
      [&](std::uint64_t i, std::uint64_t position) {
        keys_out[position] = keys_in[i];
        items_out[position] = items_in[i];
      },
      shared.tile_buckets);
}

template <class Format, class Thread>
KMLUT_HD void sort_block_values(const Thread& at, const DeviceRequest& request,
                                const DeviceProblem& problem, const AllValuesBlock& b,
                                AllValuesShared& shared) {
  const auto* values = static_cast<const typename Format::Storage*>(request.values);
  const std::uint64_t n = b.elements;
  for (std::uint64_t t = at.thread(); t < n; t += kAllValuesThreads) {
    const std::uint64_t element = element_of_block(request, problem.block, t);
    b.keys[t] = value_sort_key<Format>(values[element]);
    b.items[t] = element;
  }
  at.sync();
  const unsigned key_bits = kDoubleKeys<Format> ? 64 : 32;  // an even number of passes:
  for (unsigned shift = 0; shift < key_bits; shift += 2 * kRadixDigitBits) {  // back in place
    radix_pass(at, n, shift, b.keys, b.items, b.keys + n, b.items + n, shared);
    radix_pass(at, n, shift + kRadixDigitBits, b.keys + n, b.items + n, b.keys, b.items, shared);
  }
}

// Runs of equal keys -> the problem's points and weights; the sorted values and sensitivities
// for the centroids. Returns false (and flags the request) past 65,536 points.
template <class Format, class Thread>
KMLUT_HD bool weighted_points(const Thread& at, const DeviceRequest& request,
                              const DeviceProblem& problem, const AllValuesBlock& b,
                              AllValuesShared& shared) {
  const std::uint64_t n = b.elements;
  const std::uint64_t per_thread = (n + kAllValuesThreads - 1) / kAllValuesThreads;
  const std::uint64_t first = at.thread() * per_thread < n ? at.thread() * per_thread : n;
  const std::uint64_t end = first + per_thread < n ? first + per_thread : n;
  const auto starts_run = [&](std::uint64_t p) { return p == 0 || b.keys[p] != b.keys[p - 1]; };
  std::uint32_t starts = 0;
  for (std::uint64_t p = first; p < end; ++p)
    starts += starts_run(p) ? 1u : 0u;
  const ScanResult<std::uint32_t> numbering = block_exclusive_scan<kAllValuesThreads>(
      at, starts, 0u, [](std::uint32_t x, std::uint32_t y) { return x + y; }, shared.runs);
  if (numbering.total > numeric::kMaxDistinctPoints) {
    if (at.thread() == 0)
      atomic_or(request.status, kTooManyValues);
    return false;
  }
  const bool weighted = request.sensitivity != nullptr;
  std::uint32_t run = numbering.before;
  for (std::uint64_t p = first; p < end; ++p) {
    b.sorted_values[p] = sorted_value<Format>(request, b.keys[p], b.items[p]);
    if (weighted)
      b.sorted_weights[p] = static_cast<double>(request.sensitivity[b.items[p]]);
    if (!starts_run(p))
      continue;
    double weight = 0.0;  // added in sorted order from 0, as the CPU's run weights
    std::uint64_t q = p;
    do {
      weight += weighted ? static_cast<double>(request.sensitivity[b.items[q]]) : 1.0;
      ++q;
    } while (q < n && b.keys[q] == b.keys[p]);
    problem.points[run] = value_of_sort_key<Format>(b.keys[p]);
    problem.point_weights[run] = weight;
    ++run;
  }
  if (at.thread() == 0)
    *problem.point_count = numbering.total;
  return true;
}

// The all-values phase: block b sorts problems[b]'s values into weighted points, if its request
// takes the all-values path and the first phases did not flag it.
template <class Thread>
KMLUT_HD void all_values_points_body(const Thread& at, const DeviceRequest* requests,
                                     const DeviceProblem* problems, AllValuesShared& shared) {
  const DeviceProblem& problem = problems[at.block()];
  const DeviceRequest& request = requests[problem.request];
  if (request.sort_keys == nullptr || *request.status != 0)
    return;
  const AllValuesBlock b = all_values_block(request, problem.block);
  with_float_format(request.dtype, [&](auto format) {
    sort_block_values<decltype(format)>(at, request, problem, b, shared);
    weighted_points<decltype(format)>(at, request, problem, b, shared);
  });
}

// After the DP of an all-values problem: its centroids over every sorted value (into
// problem.means, which the LUT is written from) and each cluster's largest value.
template <class Thread>
KMLUT_HD void all_values_centroids(const Thread& at, const DeviceRequest& request,
                                   const DeviceProblem& problem, numeric::dp::Index clusters) {
  at.sync();  // every thread's part of the DP is written
  if (at.thread() == 0) {
    const AllValuesBlock b = all_values_block(request, problem.block);
    std::size_t ends[256];  // cluster j's values end where the run of its last point ends
    std::uint64_t value = 0;
    numeric::dp::Index point = 0;
    for (numeric::dp::Index j = 0; j < clusters; ++j) {
      for (; point < problem.cluster_ends[j]; ++point) {
        do {
          ++value;
        } while (value < b.elements && b.keys[value] == b.keys[value - 1]);
      }
      ends[j] = static_cast<std::size_t>(value);
      b.upper[j] = b.sorted_values[value - 1];
    }
    numeric::cluster_means(b.sorted_values,
                           request.sensitivity != nullptr ? b.sorted_weights : nullptr, ends,
                           clusters, problem.means);
    for (numeric::dp::Index j = clusters; j < (numeric::dp::Index{1} << request.n_bits); ++j)
      b.upper[j] = b.upper[clusters - 1];
  }
  at.sync();
}

// An element's index: the first cluster whose largest value is not below it (the padding repeats
// the last cluster's, so the search over every entry finds the same one).
KMLUT_HD inline std::uint8_t all_values_index(const DeviceRequest& request, std::uint64_t block,
                                              double value) {
  const double* upper = request.cluster_upper + (block << request.n_bits);
  std::uint32_t low = 0;
  std::uint32_t count = 1u << request.n_bits;
  while (count > 0) {
    const std::uint32_t half = count / 2;
    if (upper[low + half] < value) {
      low += half + 1;
      count -= half + 1;
    } else {
      count = half;
    }
  }
  return static_cast<std::uint8_t>(low);
}

}  // namespace kmlut::cuda
