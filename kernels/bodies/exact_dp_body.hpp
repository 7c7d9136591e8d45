// The clustering phase (kernels/exact_dp.cu launches it): one grid block per problem runs the
// exact k-means of the block's unique values (kmlut/numeric/distinct_points_kmeans.hpp, the CPU
// solver's code, its lanes the block's threads), writes its LUT in the weight's dtype padded with
// the last centroid, and the table pattern key -> index that the assignment phase reads (on the
// all-values path: the centroids over every value and the cluster boundaries instead,
// all_values_body.hpp). Built with -fmad=false on the device (kernels/CMakeLists.txt): the costs
// must round as the CPU's do.
#pragma once

#include <cstdint>

#include "kernels/bodies/all_values_body.hpp"
#include "kernels/bodies/float_format_dispatch.hpp"
#include "kernels/grid/grid_cta.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/dtype.hpp"
#include "kmlut/numeric/distinct_points_kmeans.hpp"
#include "kmlut/numeric/half_pattern_keys.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

// The block sizes exact_dp.cu is built for (their times are compared by bench/bench_cuda.cpp),
// and the backend's default. The lanes share each DP layer (kmlut/numeric/kmeans1d_dp.hpp), so
// more threads shorten a block's critical path, and fewer fit more blocks on an SM.
constexpr unsigned kExactDpThreads = 256;
KMLUT_HD constexpr bool is_exact_dp_block_size(unsigned threads) {
  return threads == 32 || threads == 64 || threads == 256;
}

template <class Format, class Thread>
KMLUT_HD void write_lut(const Thread& at, const DeviceRequest& request,
                        const DeviceProblem& problem, numeric::dp::Index clusters) {
  using numeric::dp::Index;
  const Index entries = Index{1} << request.n_bits;
  auto* lut =
      static_cast<typename Format::Storage*>(request.lut) + std::uint64_t{problem.block} * entries;
  // Padding repeats the last (largest) centroid, as on the CPU.
  for (Index i = at.thread(); i < entries; i += at.threads())
    lut[i] = Format::from_double(problem.means[i < clusters ? i : clusters - 1]);
}

template <class Thread>
KMLUT_HD void fill_cluster_of_key(const Thread& at, const DeviceRequest& request,
                                  const DeviceProblem& problem, numeric::dp::Index clusters) {
  const bool bf16 = static_cast<DType>(request.dtype) == DType::BF16;
  for (std::uint32_t key = at.thread(); key < numeric::kPatternKeys; key += at.threads()) {
    if (problem.histogram[key] == 0)
      continue;
    const double value =
        numeric::clustered_value(numeric::key_pattern(key), bf16, request.rounding_table);
    problem.cluster_of_key[key] = static_cast<std::uint8_t>(
        numeric::cluster_holding(problem.points, problem.cluster_ends, clusters, value));
  }
}

// Block b clusters problems[problem_ids[b]]; the block has kThreads threads.
template <unsigned kThreads, class Thread>
KMLUT_HD void exact_dp_body(const Thread& at, const DeviceRequest* requests,
                            const DeviceProblem* problems, const std::uint32_t* problem_ids,
                            CtaShared<kThreads>& shared) {
  using numeric::dp::Index;
  const DeviceProblem& problem = problems[problem_ids[at.block()]];
  const DeviceRequest& request = requests[problem.request];
  if (*request.status != 0)
    return;  // flagged for the CPU by the first phases (a plan made before them lists it)
  const Index points = *problem.point_count;
  const Index k = Index{1} << request.n_bits;
  GridCta<kThreads, Thread> cta(at, shared);
  const numeric::DistinctPointsWorkspace work =
      numeric::distinct_points_workspace(problem.dp_doubles, problem.dp_indices, points, k);
  const Index clusters =
      numeric::solve_distinct_points(cta, problem.points, problem.point_weights, points, k, work,
                                     problem.cluster_ends, problem.means);
  if (request.sort_keys != nullptr)  // the all-values path: centroids over every value
    all_values_centroids(at, request, problem, clusters);
  with_float_format(request.dtype, [&](auto format) {
    write_lut<decltype(format)>(at, request, problem, clusters);
  });
  if (request.sort_keys == nullptr)
    fill_cluster_of_key(at, request, problem, clusters);
}

}  // namespace kmlut::cuda
