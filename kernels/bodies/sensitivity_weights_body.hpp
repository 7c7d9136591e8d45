// The sensitivity phase (kernels/sensitivity_weights.cu launches it), between the unique values
// and the clustering, for requests with sensitivities: one grid block per problem replaces each
// unique value's count by the sum of its elements' normalized sensitivities, added in element
// order from 0 as the CPU backend adds them (ScalarBlockClusterer::sum_sensitivity_per_value), so
// the sums are the CPU's bits. Float sums depend on their order, so no atomics: the block first
// regroups the sensitivities by value, a stable counting sort in element order (each value's
// copies start after the counts of the values below it; kernels/grid/stable_scatter.hpp places
// them), then one thread adds each value's copies in sequence.
#pragma once

#include <cstdint>

#include "kernels/bodies/float_format_dispatch.hpp"
#include "kernels/grid/block_collectives.hpp"
#include "kernels/grid/stable_scatter.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/numeric/distinct_points_kmeans.hpp"
#include "kmlut/numeric/half_pattern_keys.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

constexpr unsigned kSensitivityThreads = 256;

struct SensitivityShared {
  ScanScratch<kSensitivityThreads, std::uint64_t> starts;
  std::uint32_t tile_value[kSensitivityThreads];  // each tile element's unique value
};

// The index of an element's clustered value among the problem's ascending unique values (it is
// one of them: the unique values were made from the same patterns).
template <class Format>
KMLUT_HD std::uint32_t unique_value_index(const DeviceRequest& request,
                                          const DeviceProblem& problem, std::uint32_t points,
                                          std::uint64_t element) {
  const auto stored = static_cast<const typename Format::Storage*>(request.values)[element];
  const double value = numeric::clustered_value(Format::histogram_pattern(stored),
                                                Format::kBf16Patterns, request.rounding_table);
  std::uint32_t low = 0;
  std::uint32_t count = points;
  while (count > 0) {
    const std::uint32_t half = count / 2;
    if (problem.points[low + half] < value) {
      low += half + 1;
      count -= half + 1;
    } else {
      count = half;
    }
  }
  return low;
}

// Sets cursors[v] to where value v's copies start: the element counts of the values below it.
template <class Thread>
KMLUT_HD void start_value_cursors(const Thread& at, const DeviceProblem& problem,
                                  std::uint32_t points, std::uint64_t* cursors,
                                  SensitivityShared& shared) {
  const std::uint32_t per_thread = (points + kSensitivityThreads - 1) / kSensitivityThreads;
  const std::uint32_t first = at.thread() * per_thread < points ? at.thread() * per_thread : points;
  const std::uint32_t end = first + per_thread < points ? first + per_thread : points;
  std::uint64_t own = 0;  // counts are whole numbers held in doubles
  for (std::uint32_t v = first; v < end; ++v)
    own += static_cast<std::uint64_t>(problem.point_weights[v]);
  std::uint64_t start = block_exclusive_scan<kSensitivityThreads>(at, own, std::uint64_t{0},
                                                                  IntegerSum{}, shared.starts)
                            .before;
  for (std::uint32_t v = first; v < end; ++v) {
    cursors[v] = start;
    start += static_cast<std::uint64_t>(problem.point_weights[v]);
  }
  at.sync();
}

// Copies each element's sensitivity to its value's next free place in element order; afterwards
// cursors[v] is where value v's copies end.
template <class Format, class Thread>
KMLUT_HD void group_by_value(const Thread& at, const DeviceRequest& request,
                             const DeviceProblem& problem, std::uint32_t points,
                             std::uint64_t elements, float* by_value, std::uint64_t* cursors,
                             SensitivityShared& shared) {
  stable_scatter<kSensitivityThreads>(
      at, elements,
      [&](std::uint64_t t) {
        const std::uint64_t element = element_of_block(request, problem.block, t);
        return unique_value_index<Format>(request, problem, points, element);
      },
      [&](std::uint32_t value) -> std::uint64_t& { return cursors[value]; },
      [&](std::uint64_t t, std::uint64_t position) {
        by_value[position] = request.sensitivity[element_of_block(request, problem.block, t)];
      },
      shared.tile_value);
}

template <class Thread>
KMLUT_HD void sensitivity_weights_body(const Thread& at, const DeviceRequest* requests,
                                       const DeviceProblem* problems, SensitivityShared& shared) {
  const DeviceProblem& problem = problems[at.block()];
  const DeviceRequest& request = requests[problem.request];
  if (request.sensitivity == nullptr || request.sort_keys != nullptr || *request.status != 0)
    return;  // none, the all-values path's own (all_values_body.hpp), or flagged for the CPU
  const std::uint64_t elements = request.run_length * request.run_count;
  const std::uint64_t max_points =
      elements < numeric::kMaxDistinctPoints ? elements : numeric::kMaxDistinctPoints;
  float* by_value = request.sensitivity_by_value + problem.block * elements;
  std::uint64_t* cursors = request.value_cursors + problem.block * max_points;
  const std::uint32_t points = *problem.point_count;
  start_value_cursors(at, problem, points, cursors, shared);
  with_float_format(request.dtype, [&](auto format) {
    group_by_value<decltype(format)>(at, request, problem, points, elements, by_value, cursors,
                                     shared);
  });
  for (std::uint32_t v = at.thread(); v < points; v += kSensitivityThreads) {
    double sum = 0.0;
    for (std::uint64_t i = v == 0 ? 0 : cursors[v - 1]; i < cursors[v]; ++i)
      sum += static_cast<double>(by_value[i]);
    problem.point_weights[v] = sum;
  }
}

}  // namespace kmlut::cuda
