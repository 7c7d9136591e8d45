// The GPU behind the device vector fit (vector_fit_driver.hpp): cudaMalloc'd buffers, copies and
// the launches of kernels/vector_kernels.hpp on one stream. A copy to the host returns once its
// bytes are there; the driver reads only a few values per Lloyd iteration.
#pragma once

#include <memory>
#include <vector>

#include "host/backends/cpu/vector_fitter.hpp"
#include "host/backends/cuda/device_memory.hpp"
#include "host/backends/cuda/vector_fit_device.hpp"

namespace kmlut::cuda {

class CudaVectorFitDevice final : public VectorFitDevice {
 public:
  void* allocate(std::size_t bytes) override;
  void release_all() override;
  void upload(void* device, const void* host, std::size_t bytes) override;
  void download(void* host, const void* device, std::size_t bytes) override;
  void copy(void* device_to, const void* device_from, std::size_t bytes) override;
  void zero(void* device, std::size_t bytes) override;
  void kmeans_plus_plus(const SeedingProblem* problems, std::uint32_t count) override;
  void nearest_centre(const NearestCentreTile* tiles, std::uint32_t count) override;
  void lloyd_first_sums(const LloydProblem& problem) override;
  void lloyd_collect_moves(const LloydMoveList& list) override;
  void lloyd_moves(const LloydProblem& problem, const LloydMove* moves,
                   std::uint32_t move_count) override;
  void lloyd_means(const LloydProblem& problem) override;
  void lloyd_chunk_inertia(const LloydProblem& problem) override;

 private:
  Stream stream_;
  std::vector<std::unique_ptr<DeviceBuffer>> buffers_;
};

// A fitter for the CPU backend's vector blocks that fits on `device`, which must be current when
// it is made (its stream is made there); fits from several threads take turns on one stream.
cpu::VectorFitter make_device_vector_fitter(int device);

}  // namespace kmlut::cuda
