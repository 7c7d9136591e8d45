#include "host/backends/cuda/cuda_backend.hpp"

#include <cuda_runtime_api.h>

#include <array>
#include <string>
#include <vector>

#include "host/backends/cuda/batch_slot.hpp"
#include "host/backends/cuda/cuda_vector_fit_device.hpp"
#include "host/backends/cuda/device_job.hpp"
#include "host/backends/cuda/device_rounding_tables.hpp"
#include "host/backends/cuda/tensor_pieces.hpp"
#include "host/backends/cuda/two_slot_schedule.hpp"
#include "host/backends/cuda/vector_fit_driver.hpp"
#include "host/backends/request_subset.hpp"
#include "kernels/cuda_api.hpp"
#include "kernels/cuda_check.cuh"
#include "kmlut/error.hpp"

namespace kmlut::cuda {
namespace {

std::size_t device_memory_budget(const CudaBackendOptions& options) {
  if (options.device_memory_bytes != 0)
    return options.device_memory_bytes;
  std::size_t free = 0;
  std::size_t total = 0;
  KMLUT_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  return static_cast<std::size_t>(static_cast<double>(free) * options.device_memory_fraction);
}

class CudaBackend final : public Backend {
 public:
  // The device must be current: the slots' streams and buffers are made on it.
  explicit CudaBackend(const CudaBackendOptions& options)
      : device_(options.device),
        cpu_(make_cpu_backend(options.cpu_threads)),
        vector_(cpu::make_cpu_backend_with_vector_fitter(
            options.cpu_threads, make_device_vector_fitter(options.device))),
        slot_budget_(device_memory_budget(options) / 2),
        pinned_per_slot_(options.pinned_bytes_per_slot),
        slots_{BatchSlot(rounding_tables_, slot_budget_, options.flush_cache_bytes,
                         options.exact_dp_threads),
               BatchSlot(rounding_tables_, slot_budget_, options.flush_cache_bytes,
                         options.exact_dp_threads)} {}

  ~CudaBackend() override { (void)cudaSetDevice(device_); }  // the slots free on their device

  std::string name() const override { return "cuda"; }

  const std::vector<BatchTimings>& timings() const { return timings_; }

  std::vector<PalettizeResult> run_batch(const std::vector<PalettizeRequest>& requests) override {
    KMLUT_CUDA_CHECK(cudaSetDevice(device_));  // this thread may be new (multi_device_backend)
    std::vector<PalettizeResult> results(requests.size());
    std::vector<std::size_t> for_cpu;
    std::vector<std::size_t> vector_fits;
    timings_.clear();
    std::vector<DeviceJob> jobs;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (vector_fit_on_device(requests[i])) {
        vector_fits.push_back(i);
      } else if (device_path_gap(requests[i]).empty()) {
        jobs.push_back(make_device_job(i, requests[i]));
      } else {
        for_cpu.push_back(i);
      }
    }
    BatchPlan plan = plan_batches(jobs, slot_budget_, pinned_per_slot_);
    // Tensors larger than a slot run in pieces after the others (tensor_pieces.hpp).
    const TensorPieces pieces(plan.too_large, requests.size(), slot_budget_, pinned_per_slot_);
    for (const UnsplitJob& unsplit : pieces.unsplit())
      for_cpu.push_back(unsplit.job->request_index);
    plan.batches.insert(plan.batches.end(), pieces.batches().begin(), pieces.batches().end());
    results.resize(requests.size() + pieces.piece_count());
    try {
      run_on_device(plan.batches, results, for_cpu);
    } catch (...) {
      for (BatchSlot& slot : slots_)
        slot.abandon();
      throw;
    }
    pieces.assemble(results, for_cpu);
    run_request_subset(*vector_, requests, vector_fits, results);
    run_request_subset(*cpu_, requests, for_cpu, results);
    return results;
  }

 private:
  // Batch b goes through slot b % 2 (two_slot_schedule.hpp): the device clusters batch b − 1
  // while the host stages batch b.
  void run_on_device(const std::vector<std::vector<const DeviceJob*>>& batches,
                     std::vector<PalettizeResult>& results, std::vector<std::size_t>& for_cpu) {
    run_through_two_slots(batches, slots_,
                          [&](BatchSlot& slot) { slot.collect(results, for_cpu, timings_); });
  }

  int device_;
  std::unique_ptr<Backend> cpu_;
  // Vector requests: the CPU backend's preparation, LUTs and indices, with every k-means fit on
  // the device (vector_fit_driver.hpp).
  std::unique_ptr<Backend> vector_;
  std::size_t slot_budget_;
  std::size_t pinned_per_slot_;
  DeviceRoundingTables rounding_tables_;
  std::array<BatchSlot, 2> slots_;
  std::vector<BatchTimings> timings_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const CudaBackendOptions& options) {
  const std::string unusable = device_unusable_reason(options.device);  // makes it current
  if (!unusable.empty())
    throw Error("the CUDA backend cannot run: " + unusable);
  return std::make_unique<CudaBackend>(options);
}

const std::vector<BatchTimings>& last_batch_timings(const Backend& cuda_backend) {
  const auto* backend = dynamic_cast<const CudaBackend*>(&cuda_backend);
  if (backend == nullptr)
    throw Error("last_batch_timings: backend \"" + cuda_backend.name() + "\" is not CUDA");
  return backend->timings();
}

}  // namespace kmlut::cuda
