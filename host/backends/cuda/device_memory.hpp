// Owning handles for the CUDA resources the backend holds: device and pinned host buffers that
// grow on demand, streams and events. Every call is checked (kernels/cuda_check.cuh).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace kmlut::cuda {

// Device memory that grows on demand; growing drops the contents, so only an idle user grows it.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer();

  void reserve(std::size_t bytes);
  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

// Page-locked host memory, so copies to and from the device run asynchronously at full speed.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer();

  void reserve(std::size_t bytes);
  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

class Stream {
 public:
  Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  // `timed`: the event can measure elapsed time (costs a little more to record).
  explicit Event(bool timed = false);
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event();

  void record(cudaStream_t stream);
  // Waits for the recorded work; an error of any kernel before it is thrown here.
  void synchronize();
  // Milliseconds from `earlier` to this event; both timed and complete.
  float milliseconds_since(const Event& earlier) const;

 private:
  cudaEvent_t event_ = nullptr;
};

}  // namespace kmlut::cuda
