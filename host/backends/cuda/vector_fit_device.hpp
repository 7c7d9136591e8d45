// What the device vector fit (vector_fit_driver.hpp) asks of a device: memory, copies and the
// vector-Lloyd launches of kernels/vector_kernels.hpp, in one stream order. The CUDA backend's
// implementation (cuda_vector_fit_device.hpp) runs them on a GPU; the tests' implementation
// (tests/unit/cpu_grid_vector_device.hpp) uses host memory and runs the same kernel bodies on the
// CPU grid executor, so the whole orchestration is tested without a GPU.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/bodies/kmeans_plus_plus_body.hpp"
#include "kernels/bodies/lloyd_moves_body.hpp"
#include "kernels/bodies/lloyd_sums_body.hpp"
#include "kernels/bodies/nearest_centre_body.hpp"

namespace kmlut::cuda {

class VectorFitDevice {
 public:
  virtual ~VectorFitDevice() = default;

  // Device memory that lives until release_all(); at least 16-byte aligned.
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void release_all() = 0;

  // Copies in stream order; a download returns once its bytes are on the host.
  virtual void upload(void* device, const void* host, std::size_t bytes) = 0;
  virtual void download(void* host, const void* device, std::size_t bytes) = 0;
  virtual void copy(void* device_to, const void* device_from, std::size_t bytes) = 0;
  virtual void zero(void* device, std::size_t bytes) = 0;

  // The launches of kernels/vector_kernels.hpp; descriptor arrays and problems' arrays are in
  // device memory.
  virtual void kmeans_plus_plus(const SeedingProblem* problems, std::uint32_t count) = 0;
  virtual void nearest_centre(const NearestCentreTile* tiles, std::uint32_t count) = 0;
  virtual void lloyd_first_sums(const LloydProblem& problem) = 0;
  virtual void lloyd_collect_moves(const LloydMoveList& list) = 0;
  virtual void lloyd_moves(const LloydProblem& problem, const LloydMove* moves,
                           std::uint32_t move_count) = 0;
  virtual void lloyd_means(const LloydProblem& problem) = 0;
  virtual void lloyd_chunk_inertia(const LloydProblem& problem) = 0;
};

}  // namespace kmlut::cuda
