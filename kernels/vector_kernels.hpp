// Launchers of the vector-Lloyd steps (kernels/bodies/), called by the device vector fit
// (host/backends/cuda/cuda_vector_fit_device.cpp, driven by vector_fit_driver.cpp); the bodies
// are tested on the CPU grid executor (docs/cuda-backend.md).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/bodies/kmeans_plus_plus_body.hpp"
#include "kernels/bodies/lloyd_moves_body.hpp"
#include "kernels/bodies/lloyd_sums_body.hpp"
#include "kernels/bodies/nearest_centre_body.hpp"

namespace kmlut::cuda {

// Every point's nearest centre and nearest two squared distances, one block per tile (`tiles` in
// device memory).
void launch_nearest_centre(const NearestCentreTile* tiles, std::uint32_t tile_count,
                           cudaStream_t stream);

// The Lloyd reductions of kernels/bodies/lloyd_sums_body.hpp for one problem (its arrays in
// device memory): the first assignment's chunk sums, combined in chunk order; the moves of a later
// assignment (`moves` in device memory, in point order); the centres from the sums; the inertia's
// chunk partials (`problem.chunk_inertia`, to be added in chunk order).
void launch_lloyd_first_sums(const LloydProblem& problem, cudaStream_t stream);
// The moves of a reassignment (`list.labels` against `list.previous`, which then becomes
// `list.labels`), in point order, and their number, all in device memory.
void launch_lloyd_collect_moves(const LloydMoveList& list, cudaStream_t stream);
void launch_lloyd_moves(const LloydProblem& problem, const LloydMove* moves,
                        std::uint32_t move_count, cudaStream_t stream);
void launch_lloyd_means(const LloydProblem& problem, cudaStream_t stream);
void launch_lloyd_chunk_inertia(const LloydProblem& problem, cudaStream_t stream);

// The CPU's k-means++ seeds of every problem, one block each (`problems` in device memory).
void launch_kmeans_plus_plus(const SeedingProblem* problems, std::uint32_t problem_count,
                             cudaStream_t stream);

}  // namespace kmlut::cuda
