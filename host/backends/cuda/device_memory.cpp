#include "host/backends/cuda/device_memory.hpp"

#include "kernels/cuda_check.cuh"

namespace kmlut::cuda {

DeviceBuffer::~DeviceBuffer() {
  cudaFree(data_);
}

void DeviceBuffer::reserve(std::size_t bytes) {
  if (bytes <= size_)
    return;
  KMLUT_CUDA_CHECK(cudaFree(data_));
  data_ = nullptr;
  size_ = 0;
  void* fresh = nullptr;
  KMLUT_CUDA_CHECK(cudaMalloc(&fresh, bytes));
  data_ = static_cast<std::byte*>(fresh);
  size_ = bytes;
}

PinnedBuffer::~PinnedBuffer() {
  cudaFreeHost(data_);
}

void PinnedBuffer::reserve(std::size_t bytes) {
  if (bytes <= size_)
    return;
  KMLUT_CUDA_CHECK(cudaFreeHost(data_));
  data_ = nullptr;
  size_ = 0;
  void* fresh = nullptr;
  KMLUT_CUDA_CHECK(cudaMallocHost(&fresh, bytes));
  data_ = static_cast<std::byte*>(fresh);
  size_ = bytes;
}

Stream::Stream() {
  KMLUT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

Stream::~Stream() {
  cudaStreamDestroy(stream_);
}

Event::Event(bool timed) {
  KMLUT_CUDA_CHECK(
      cudaEventCreateWithFlags(&event_, timed ? cudaEventDefault : cudaEventDisableTiming));
}

Event::~Event() {
  cudaEventDestroy(event_);
}

void Event::record(cudaStream_t stream) {
  KMLUT_CUDA_CHECK(cudaEventRecord(event_, stream));
}

void Event::synchronize() {
  KMLUT_CUDA_CHECK(cudaEventSynchronize(event_));
}

float Event::milliseconds_since(const Event& earlier) const {
  float milliseconds = 0.0f;
  KMLUT_CUDA_CHECK(cudaEventElapsedTime(&milliseconds, earlier.event_, event_));
  return milliseconds;
}

}  // namespace kmlut::cuda
