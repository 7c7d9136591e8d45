#include "host/backends/cuda/batch_slot.hpp"

#include <algorithm>

#include "kernels/cuda_check.cuh"
#include "kernels/scalar_kernels.hpp"
#include "kmlut/error.hpp"

namespace kmlut::cuda {
namespace {

void copy_to_device(void* device, const void* pinned, std::size_t bytes, cudaStream_t stream) {
  if (bytes != 0) {
    KMLUT_CUDA_CHECK(cudaMemcpyAsync(device, pinned, bytes, cudaMemcpyHostToDevice, stream));
  }
}

void copy_to_host(void* pinned, const void* device, std::size_t bytes, cudaStream_t stream) {
  if (bytes != 0) {
    KMLUT_CUDA_CHECK(cudaMemcpyAsync(pinned, device, bytes, cudaMemcpyDeviceToHost, stream));
  }
}

}  // namespace

BatchSlot::BatchSlot(DeviceRoundingTables& rounding_tables, std::size_t device_budget,
                     std::size_t flush_cache_bytes, unsigned exact_dp_threads)
    : rounding_tables_(rounding_tables),
      device_budget_(device_budget),
      flush_cache_bytes_(flush_cache_bytes),
      exact_dp_threads_(exact_dp_threads) {}

template <class Step>
void BatchSlot::in_phase(const char* phase, Step&& step) {
  try {
    step();
  } catch (const Error& error) {
    throw Error(std::string("CUDA backend, ") + phase + ", " + describe_batch() + ": " +
                error.what());
  }
}

std::string BatchSlot::describe_batch() const {
  std::string names;
  for (std::size_t j = 0; j < jobs_.size() && j < 3; ++j)
    names += (j == 0 ? "" : ", ") + jobs_[j]->request->name;
  if (jobs_.size() > 3)
    names += ", ...";
  return "batch of " + std::to_string(jobs_.size()) + " tensor(s) (" + names + ")";
}

void BatchSlot::start(std::vector<const DeviceJob*> jobs) {
  jobs_ = std::move(jobs);
  layout_ = lay_out_batch(jobs_);
  in_phase("staging and histograms", [&] {
    reserve_buffers();
    problems_ = write_first_descriptors(
        jobs_, layout_, buffers(), [&](int precision) { return rounding_tables_.get(precision); });
    one_pass_ = device_.size() - layout_.device_bytes >= dp_bytes_for_largest_problems(jobs_);
    if (one_pass_)
      phases_ = plan_second_phases(jobs_, layout_, buffers(), problems_, nullptr);
    upload_and_run_first_phases();
    if (one_pass_)
      run_second_phases();
  });
}

void BatchSlot::reserve_buffers() {
  // Room for every problem's largest possible DP workspace when the budget allows (one launch,
  // queued with the first phases), else for the largest single problem (then the problems are
  // clustered in waves, planned from the point counts).
  const std::size_t all_problems = dp_bytes_for_largest_problems(jobs_);
  const std::size_t available =
      device_budget_ > layout_.device_bytes ? device_budget_ - layout_.device_bytes : 0;
  const std::size_t dp_bytes =
      std::max(layout_.dp_reserve_bytes, std::min(all_problems, available));
  device_.reserve(layout_.device_bytes + dp_bytes);
  pinned_.reserve(layout_.pinned_bytes);
}

void BatchSlot::upload_and_run_first_phases() {
  const cudaStream_t stream = stream_.get();
  copy_to_device(device_.data(), pinned_.data(), layout_.descriptor_bytes, stream);
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    const JobPlacement& place = layout_.jobs[j];
    copy_to_device(device_at<std::byte>(place.weights), pinned_at<std::byte>(place.staged_weights),
                   jobs_[j]->numel * jobs_[j]->element_bytes, stream);
    for (const BufferCopy& copy : extra_uploads(*jobs_[j], place)) {
      copy_to_device(device_at<std::byte>(copy.device), pinned_at<std::byte>(copy.pinned),
                     copy.bytes, stream);
    }
  }
  if (flush_cache_bytes_ != 0) {
    cache_flush_.reserve(flush_cache_bytes_);
    KMLUT_CUDA_CHECK(cudaMemsetAsync(cache_flush_.data(), 0, flush_cache_bytes_, stream));
  }
  compute_begin_.record(stream);
  KMLUT_CUDA_CHECK(cudaMemsetAsync(device_at<std::byte>(layout_.zeroed_begin), 0,
                                   layout_.zeroed_end - layout_.zeroed_begin, stream));
  const auto* requests = device_at<const DeviceRequest>(layout_.requests);
  const auto* problems = device_at<const DeviceProblem>(layout_.problem_descriptors);
  launch_per_channel_scale(requests, device_at<const ScaleRow>(layout_.scale_rows),
                           static_cast<std::uint32_t>(layout_.scale_row_count), stream);
  scale_end_.record(stream);
  launch_histograms(requests, problems, device_at<const HistogramChunk>(layout_.histogram_chunks),
                    static_cast<std::uint32_t>(layout_.histogram_chunk_count), stream);
  histograms_end_.record(stream);
  launch_unique_points(requests, problems, static_cast<std::uint32_t>(layout_.problem_count),
                       stream);
  launch_sensitivity_weights(requests, problems, static_cast<std::uint32_t>(layout_.problem_count),
                             stream);
  launch_all_values_points(requests, problems, static_cast<std::uint32_t>(layout_.problem_count),
                           stream);
  first_kernels_end_.record(stream);
  copy_to_host(pinned_at<std::byte>(layout_.staged_status), device_at<std::byte>(layout_.status),
               jobs_.size() * sizeof(std::uint32_t), stream);
  copy_to_host(pinned_at<std::byte>(layout_.staged_point_counts),
               device_at<std::byte>(layout_.point_counts),
               layout_.problem_count * sizeof(std::uint32_t), stream);
  first_phases_done_.record(stream);
}

void BatchSlot::finish_on_device() {
  if (one_pass_)
    return;  // queued by start
  in_phase("histograms and unique values", [&] { first_phases_done_.synchronize(); });
  in_phase("clustering and assignment", [&] {
    const FirstPhaseCounts counts = staged_counts(layout_, pinned_.data());
    phases_ = plan_second_phases(jobs_, layout_, buffers(), problems_, &counts);
    run_second_phases();
  });
}

void BatchSlot::run_second_phases() {
  const cudaStream_t stream = stream_.get();
  if (!one_pass_)  // else uploaded with the first phases' descriptors
    copy_to_device(device_.data(), pinned_.data(), layout_.descriptor_bytes, stream);
  const auto* requests = device_at<const DeviceRequest>(layout_.requests);
  const auto* problems = device_at<const DeviceProblem>(layout_.problem_descriptors);
  const auto* ids = device_at<const std::uint32_t>(layout_.problem_ids);
  second_kernels_begin_.record(stream);
  const std::vector<std::size_t>& waves = phases_.dp_waves;
  for (std::size_t w = 0; w + 1 < waves.size(); ++w) {
    launch_exact_dp(requests, problems, ids + waves[w],
                    static_cast<std::uint32_t>(waves[w + 1] - waves[w]), exact_dp_threads_, stream);
  }
  launch_lut_quantization(requests, problems, ids,
                          static_cast<std::uint32_t>(phases_.problem_ids.size()), stream);
  exact_dp_end_.record(stream);
  launch_assign_and_pack(requests, problems, device_at<const PackChunk>(layout_.pack_chunks),
                         static_cast<std::uint32_t>(phases_.pack_chunks.size()),
                         device_at<ErrorSums>(layout_.chunk_sums), stream);
  compute_end_.record(stream);
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    if (phases_.for_cpu[j])
      continue;
    const DeviceJob& job = *jobs_[j];
    const JobPlacement& place = layout_.jobs[j];
    copy_to_host(pinned_at<std::byte>(place.staged_lut), device_at<std::byte>(place.lut),
                 job.lut_bytes(), stream);
    copy_to_host(pinned_at<std::byte>(place.staged_indices), device_at<std::byte>(place.indices),
                 job.numel, stream);
    copy_to_host(pinned_at<std::byte>(place.staged_packed), device_at<std::byte>(place.packed),
                 job.packed_bytes(), stream);
    if (job.scaled) {
      copy_to_host(pinned_at<std::byte>(place.staged_scale), device_at<std::byte>(place.scale),
                   job.rows * job.element_bytes, stream);
    }
    for (const BufferCopy& copy : extra_result_downloads(job, place)) {
      copy_to_host(pinned_at<std::byte>(copy.pinned), device_at<std::byte>(copy.device), copy.bytes,
                   stream);
    }
  }
  copy_to_host(pinned_at<std::byte>(layout_.staged_chunk_sums),
               device_at<std::byte>(layout_.chunk_sums),
               phases_.pack_chunks.size() * sizeof(ErrorSums), stream);
  results_ready_.record(stream);
}

void BatchSlot::collect(std::vector<PalettizeResult>& results, std::vector<std::size_t>& for_cpu,
                        std::vector<BatchTimings>& timings) {
  in_phase("downloading results", [&] {
    results_ready_.synchronize();
    BatchTimings batch;
    batch.requests = jobs_.size();
    batch.kernels = first_kernels_end_.milliseconds_since(compute_begin_) +
                    compute_end_.milliseconds_since(second_kernels_begin_);
    batch.span = compute_end_.milliseconds_since(compute_begin_);
    batch.scale = scale_end_.milliseconds_since(compute_begin_);
    batch.histograms = histograms_end_.milliseconds_since(scale_end_);
    batch.unique_values = first_kernels_end_.milliseconds_since(histograms_end_);
    batch.round_trip = second_kernels_begin_.milliseconds_since(first_kernels_end_);
    batch.exact_dp = exact_dp_end_.milliseconds_since(second_kernels_begin_);
    batch.assignment = compute_end_.milliseconds_since(exact_dp_end_);
    timings.push_back(batch);
  });
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    if (flagged_for_cpu(layout_, pinned_.data(), j)) {
      for_cpu.push_back(jobs_[j]->request_index);
    } else {
      results[jobs_[j]->request_index] = take_result(jobs_, j, layout_, phases_, pinned_.data());
    }
  }
  jobs_.clear();
}

void BatchSlot::abandon() noexcept {
  cudaStreamSynchronize(stream_.get());
  cudaGetLastError();
  jobs_.clear();
}

}  // namespace kmlut::cuda
