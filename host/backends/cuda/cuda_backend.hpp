// The CUDA backend (compiled only when CUDA is enabled). It runs the scalar weighted-unique path
// of every request it covers on the device, batched (one launch per phase for all blocks of all
// tensors of a batch) and double-buffered over two streams, and hands every other request to an
// internal CPU backend, so it palettizes everything the CPU backend does, with the same bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "kmlut/palettize.hpp"

namespace kmlut::cuda {

struct CudaBackendOptions {
  int device = 0;       // the CUDA device: made current on every thread that calls the backend
  int cpu_threads = 0;  // the internal CPU backend's threads (0 = all cores)
  // Device memory for batches: this fraction of the memory free when the backend is made, or
  // `device_memory_bytes` when that is non-zero. Half goes to each of the two batch slots.
  double device_memory_fraction = 0.8;
  std::size_t device_memory_bytes = 0;
  // Pinned staging memory per slot (the weights in, the LUTs and indices out); allocated as
  // batches need it, up to this.
  std::size_t pinned_bytes_per_slot = std::size_t{1} << 30;
  // Benchmarks only: bytes of scratch written after each upload, so that the timed phases do not
  // find the weights just uploaded in the L2 cache (0 = none).
  std::size_t flush_cache_bytes = 0;
  // Threads per block of the exact DP: 32, 64 or 256 (benchmarks compare them).
  unsigned exact_dp_threads = 256;
};

// Device time of one batch, from events on its stream (milliseconds): an event after each phase.
struct BatchTimings {
  std::size_t requests = 0;
  double kernels = 0.0;  // the phases' kernels, without the host round trip between them
  double span = 0.0;     // first kernel start to last kernel end, that round trip included
  double scale = 0.0;    // zeroing the counters and per-channel scale
  double histograms = 0.0;
  double unique_values = 0.0;
  double round_trip = 0.0;  // the point counts to the host and the second descriptors back
  double exact_dp = 0.0;    // every DP wave
  double assignment = 0.0;
};

// Throws kmlut::Error naming the reason when options.device cannot run this build's kernels.
std::unique_ptr<Backend> make_cuda_backend(const CudaBackendOptions& options = {});

// The timings of the device batches of the last run_batch of a backend made by make_cuda_backend.
const std::vector<BatchTimings>& last_batch_timings(const Backend& cuda_backend);

}  // namespace kmlut::cuda
