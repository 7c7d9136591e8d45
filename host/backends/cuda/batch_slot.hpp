// One of the CUDA backend's two batch slots: a stream, a device buffer and a pinned staging
// buffer. A batch passes through it in three calls, so that the host stages one slot while the
// device works on the other:
//   start            stages and uploads the weights, runs per-channel scale, the histograms and
//                    the unique values, and downloads their counts;
//   finish_on_device waits for those counts, lays out the DP workspace, runs the clustering and
//                    the assignment, and downloads the results;
//   collect          waits for the downloads and hands out the results.
// Errors name the phase and the batch's tensors.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "host/backends/cuda/batch_descriptors.hpp"
#include "host/backends/cuda/batch_layout.hpp"
#include "host/backends/cuda/cuda_backend.hpp"
#include "host/backends/cuda/device_job.hpp"
#include "host/backends/cuda/device_memory.hpp"
#include "host/backends/cuda/device_rounding_tables.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut::cuda {

class BatchSlot {
 public:
  // `device_budget`: bytes of device memory this slot may hold; `flush_cache_bytes` and
  // `exact_dp_threads`: see CudaBackendOptions.
  BatchSlot(DeviceRoundingTables& rounding_tables, std::size_t device_budget,
            std::size_t flush_cache_bytes, unsigned exact_dp_threads);

  bool holds_batch() const { return !jobs_.empty(); }

  void start(std::vector<const DeviceJob*> jobs);
  void finish_on_device();
  // The results of the requests the device completed go to results[request_index]; the indices
  // of requests the CPU backend must take instead (non-finite values, or in fast mode values
  // beyond fp16's range, found on the device) are appended to `for_cpu`.
  void collect(std::vector<PalettizeResult>& results, std::vector<std::size_t>& for_cpu,
               std::vector<BatchTimings>& timings);
  // Waits for whatever the slot still runs and drops its batch (after an error).
  void abandon() noexcept;

 private:
  template <class Step>
  void in_phase(const char* phase, Step&& step);
  std::string describe_batch() const;
  template <class T>
  T* device_at(std::size_t offset) const {
    return reinterpret_cast<T*>(device_.data() + offset);
  }
  template <class T>
  T* pinned_at(std::size_t offset) const {
    return reinterpret_cast<T*>(pinned_.data() + offset);
  }
  BatchBuffers buffers() const { return {device_.data(), device_.size(), pinned_.data()}; }
  void reserve_buffers();
  void upload_and_run_first_phases();
  void run_second_phases();

  DeviceRoundingTables& rounding_tables_;
  std::size_t device_budget_;
  Stream stream_;
  DeviceBuffer device_;
  PinnedBuffer pinned_;
  DeviceBuffer cache_flush_;
  std::size_t flush_cache_bytes_;
  unsigned exact_dp_threads_;
  Event first_phases_done_;
  Event results_ready_;
  Event compute_begin_{true};
  Event scale_end_{true};
  Event histograms_end_{true};
  Event first_kernels_end_{true};
  Event second_kernels_begin_{true};
  Event exact_dp_end_{true};
  Event compute_end_{true};

  std::vector<const DeviceJob*> jobs_;
  BatchLayout layout_;
  std::vector<DeviceProblem> problems_;
  bool one_pass_ = false;  // the second phases were queued with the first: no round trip
  SecondPhases phases_;
};

}  // namespace kmlut::cuda
