#include "host/backends/cuda/cuda_vector_fit_device.hpp"

#include <mutex>

#include "host/backends/cuda/vector_fit_driver.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/vector_kernels.hpp"

namespace kmlut::cuda {

void* CudaVectorFitDevice::allocate(std::size_t bytes) {
  buffers_.push_back(std::make_unique<DeviceBuffer>());
  buffers_.back()->reserve(bytes);
  return buffers_.back()->data();
}

void CudaVectorFitDevice::release_all() {
  buffers_.clear();
}

// Copies from and to pageable host memory wait for the stream: the driver reuses its host
// buffers at once.
void CudaVectorFitDevice::upload(void* device, const void* host, std::size_t bytes) {
  KMLUT_CUDA_CHECK(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, stream_.get()));
  KMLUT_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
}

void CudaVectorFitDevice::download(void* host, const void* device, std::size_t bytes) {
  KMLUT_CUDA_CHECK(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, stream_.get()));
  KMLUT_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
}

void CudaVectorFitDevice::copy(void* device_to, const void* device_from, std::size_t bytes) {
  KMLUT_CUDA_CHECK(
      cudaMemcpyAsync(device_to, device_from, bytes, cudaMemcpyDeviceToDevice, stream_.get()));
}

void CudaVectorFitDevice::zero(void* device, std::size_t bytes) {
  KMLUT_CUDA_CHECK(cudaMemsetAsync(device, 0, bytes, stream_.get()));
}

void CudaVectorFitDevice::kmeans_plus_plus(const SeedingProblem* problems, std::uint32_t count) {
  launch_kmeans_plus_plus(problems, count, stream_.get());
}

void CudaVectorFitDevice::nearest_centre(const NearestCentreTile* tiles, std::uint32_t count) {
  launch_nearest_centre(tiles, count, stream_.get());
}

void CudaVectorFitDevice::lloyd_first_sums(const LloydProblem& problem) {
  launch_lloyd_first_sums(problem, stream_.get());
}

void CudaVectorFitDevice::lloyd_collect_moves(const LloydMoveList& list) {
  launch_lloyd_collect_moves(list, stream_.get());
}

void CudaVectorFitDevice::lloyd_moves(const LloydProblem& problem, const LloydMove* moves,
                                      std::uint32_t move_count) {
  launch_lloyd_moves(problem, moves, move_count, stream_.get());
}

void CudaVectorFitDevice::lloyd_means(const LloydProblem& problem) {
  launch_lloyd_means(problem, stream_.get());
}

void CudaVectorFitDevice::lloyd_chunk_inertia(const LloydProblem& problem) {
  launch_lloyd_chunk_inertia(problem, stream_.get());
}

cpu::VectorFitter make_device_vector_fitter(int device) {
  struct Shared {
    std::mutex mutex;
    CudaVectorFitDevice device;
  };
  auto shared = std::make_shared<Shared>();
  return [shared, device](const cpu::VectorPoints& points, const cpu::LloydOptions& options,
                          const cpu::ChunkRunner& runner) {
    const std::lock_guard<std::mutex> lock(shared->mutex);
    // The CPU backend's pool threads call this; none of them has made `device` current.
    KMLUT_CUDA_CHECK(cudaSetDevice(device));
    return fit_lloyd_kmeans_on_device(points, options, runner, shared->device);
  };
}

}  // namespace kmlut::cuda
