// The clustering phase: one thread block per problem runs the exact k-means of the block's unique
// values (kmlut/numeric/distinct_points_kmeans.hpp, the CPU solver's code), writes its LUT in the
// weight's dtype padded with the last centroid, and the table pattern key -> index that the
// assignment phase reads. Compiled with -fmad=false (kernels/CMakeLists.txt): the costs must
// round as the CPU's do.
#include <cstdint>

#include "kernels/block_cta.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/float_format_dispatch.cuh"
#include "kernels/scalar_kernels.hpp"
#include "kmlut/numeric/distinct_points_kmeans.hpp"
#include "kmlut/numeric/half_pattern_keys.hpp"

namespace kmlut::cuda {
namespace {

constexpr unsigned kThreads = 256;
using Cta = BlockCta<kThreads>;
using numeric::dp::Index;

template <class Format>
__device__ void write_lut(const DeviceRequest& request, const DeviceProblem& problem,
                          Index clusters) {
  const Index entries = Index{1} << request.n_bits;
  auto* lut =
      static_cast<typename Format::Storage*>(request.lut) + std::uint64_t{problem.block} * entries;
  // Padding repeats the last (largest) centroid, as on the CPU.
  for (Index i = threadIdx.x; i < entries; i += kThreads)
    lut[i] = Format::from_double(problem.means[i < clusters ? i : clusters - 1]);
}

__device__ void fill_cluster_of_key(const DeviceRequest& request, const DeviceProblem& problem,
                                    Index clusters) {
  const bool bf16 = static_cast<DType>(request.dtype) == DType::BF16;
  for (std::uint32_t key = threadIdx.x; key < numeric::kPatternKeys; key += kThreads) {
    if (problem.histogram[key] == 0)
      continue;
    const double value =
        numeric::clustered_value(numeric::key_pattern(key), bf16, request.rounding_table);
    problem.cluster_of_key[key] = static_cast<std::uint8_t>(
        numeric::cluster_holding(problem.points, problem.cluster_ends, clusters, value));
  }
}

__global__ void __launch_bounds__(kThreads)
    exact_dp_kernel(const DeviceRequest* requests, const DeviceProblem* problems,
                    const std::uint32_t* problem_ids) {
  __shared__ Cta::Shared shared;
  const DeviceProblem& problem = problems[problem_ids[blockIdx.x]];
  const DeviceRequest& request = requests[problem.request];
  const Index points = *problem.point_count;
  const Index k = Index{1} << request.n_bits;
  Cta cta(shared);
  const numeric::DistinctPointsWorkspace work =
      numeric::distinct_points_workspace(problem.dp_doubles, problem.dp_indices, points, k);
  const Index clusters =
      numeric::solve_distinct_points(cta, problem.points, problem.point_weights, points, k, work,
                                     problem.cluster_ends, problem.means);
  with_float_format(request.dtype,
                    [&](auto format) { write_lut<decltype(format)>(request, problem, clusters); });
  fill_cluster_of_key(request, problem, clusters);
}

}  // namespace

void launch_exact_dp(const DeviceRequest* requests, const DeviceProblem* problems,
                     const std::uint32_t* problem_ids, std::uint32_t count, cudaStream_t stream) {
  if (count == 0)
    return;
  exact_dp_kernel<<<count, kThreads, 0, stream>>>(requests, problems, problem_ids);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
