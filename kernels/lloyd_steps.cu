// Launches the fixed-order Lloyd reductions (kernels/bodies/lloyd_sums_body.hpp) and the
// collection of a reassignment's moves (kernels/bodies/lloyd_moves_body.hpp). Compiled with
// -fmad=false: the sums must round as the CPU's do.
#include <cstdint>

#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/vector_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kLloydThreads) chunk_sums_kernel(LloydProblem problem) {
  lloyd_chunk_sums_body(DeviceThread{}, problem);
}

__global__ void __launch_bounds__(kLloydThreads) combine_sums_kernel(LloydProblem problem) {
  lloyd_combine_sums_body(DeviceThread{}, problem);
}

__global__ void __launch_bounds__(kLloydThreads)
    apply_moves_kernel(LloydProblem problem, const LloydMove* moves, std::uint32_t move_count) {
  lloyd_apply_moves_body(DeviceThread{}, problem, moves, move_count);
}

__global__ void __launch_bounds__(kLloydMovesThreads) count_moves_kernel(LloydMoveList list) {
  __shared__ LloydMovesShared<kLloydMovesThreads> shared;
  lloyd_count_moves_body<kLloydMovesThreads>(DeviceThread{}, list, shared);
}

__global__ void place_moves_kernel(LloydMoveList list) {
  lloyd_place_moves(list);
}

__global__ void __launch_bounds__(kLloydMovesThreads) write_moves_kernel(LloydMoveList list) {
  __shared__ LloydMovesShared<kLloydMovesThreads> shared;
  lloyd_write_moves_body<kLloydMovesThreads>(DeviceThread{}, list, shared);
}

__global__ void __launch_bounds__(kLloydThreads) means_kernel(LloydProblem problem) {
  lloyd_means_body(DeviceThread{}, problem);
}

__global__ void __launch_bounds__(kLloydThreads) chunk_inertia_kernel(LloydProblem problem) {
  lloyd_chunk_inertia_body(DeviceThread{}, problem);
}

}  // namespace

void launch_lloyd_first_sums(const LloydProblem& problem, cudaStream_t stream) {
  chunk_sums_kernel<<<lloyd_chunks(problem.n), kLloydThreads, 0, stream>>>(problem);
  KMLUT_CUDA_CHECK(cudaGetLastError());
  combine_sums_kernel<<<1, kLloydThreads, 0, stream>>>(problem);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

void launch_lloyd_collect_moves(const LloydMoveList& list, cudaStream_t stream) {
  const std::uint32_t chunks = lloyd_chunks(list.n);
  count_moves_kernel<<<chunks, kLloydMovesThreads, 0, stream>>>(list);
  KMLUT_CUDA_CHECK(cudaGetLastError());
  place_moves_kernel<<<1, 1, 0, stream>>>(list);
  KMLUT_CUDA_CHECK(cudaGetLastError());
  write_moves_kernel<<<chunks, kLloydMovesThreads, 0, stream>>>(list);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

void launch_lloyd_moves(const LloydProblem& problem, const LloydMove* moves,
                        std::uint32_t move_count, cudaStream_t stream) {
  apply_moves_kernel<<<1, kLloydThreads, 0, stream>>>(problem, moves, move_count);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

void launch_lloyd_means(const LloydProblem& problem, cudaStream_t stream) {
  means_kernel<<<1, kLloydThreads, 0, stream>>>(problem);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

void launch_lloyd_chunk_inertia(const LloydProblem& problem, cudaStream_t stream) {
  const std::uint32_t blocks = (lloyd_chunks(problem.n) + kLloydThreads - 1) / kLloydThreads;
  chunk_inertia_kernel<<<blocks, kLloydThreads, 0, stream>>>(problem);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
