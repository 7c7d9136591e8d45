#include "host/backends/cuda/batch_slot.hpp"

#include <algorithm>
#include <cstring>

#include "host/palettize/result_shapes.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/scalar_kernels.hpp"
#include "kmlut/error.hpp"
#include "kmlut/numeric/distinct_points_kmeans.hpp"

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

// Where element t of a block lies: the device walks the same runs (scalar_batch.hpp).
std::uint64_t block_period(const DeviceJob& job) {
  const palettize::BlockRuns& runs = job.layout.blocks.front();
  return runs.run_count == 1 ? job.numel : runs.run_stride;
}

}  // namespace

BatchSlot::BatchSlot(DeviceRoundingTables& rounding_tables, std::size_t device_budget,
                     std::size_t flush_cache_bytes)
    : rounding_tables_(rounding_tables),
      device_budget_(device_budget),
      flush_cache_bytes_(flush_cache_bytes) {}

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
    write_first_descriptors();
    upload_and_run_first_phases();
  });
}

void BatchSlot::reserve_buffers() {
  // Room for every problem's largest possible DP workspace when the budget allows (one launch),
  // else for the largest single problem (then the problems are clustered in waves).
  std::size_t all_problems = 0;
  for (const DeviceJob* job : jobs_) {
    all_problems += job->blocks() * dp_workspace_bytes(job->max_points(), job->lut_entries());
  }
  const std::size_t available =
      device_budget_ > layout_.device_bytes ? device_budget_ - layout_.device_bytes : 0;
  const std::size_t dp_bytes =
      std::max(layout_.dp_reserve_bytes, std::min(all_problems, available));
  device_.reserve(layout_.device_bytes + dp_bytes);
  pinned_.reserve(layout_.pinned_bytes);
}

void BatchSlot::write_first_descriptors() {
  auto* requests = pinned_at<DeviceRequest>(layout_.requests);
  auto* chunks = pinned_at<HistogramChunk>(layout_.histogram_chunks);
  auto* rows = pinned_at<ScaleRow>(layout_.scale_rows);
  problems_.assign(layout_.problem_count, DeviceProblem{});
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    const DeviceJob& job = *jobs_[j];
    const PalettizeRequest& request = *job.request;
    const JobPlacement& place = layout_.jobs[j];
    const palettize::BlockRuns& runs = job.layout.blocks.front();
    DeviceRequest& r = requests[j];
    r = DeviceRequest{};
    r.dtype = static_cast<std::uint8_t>(request.weight.dtype);
    r.n_bits = job.n_bits;
    r.rounding_table = request.enable_fast_kmeans_mode
                           ? rounding_tables_.get(request.rounding_precision)
                           : nullptr;
    r.weights = device_at<std::byte>(place.weights);
    r.scaled = job.scaled ? device_at<std::byte>(place.scaled) : nullptr;
    r.values = job.scaled ? r.scaled : r.weights;
    r.scale = job.scaled ? device_at<std::byte>(place.scale) : nullptr;
    r.numel = job.numel;
    r.row_size = job.row_size;
    r.run_length = runs.run_length;
    r.run_stride = runs.run_stride;
    r.run_count = runs.run_count;
    r.period = block_period(job);
    r.first_problem = static_cast<std::uint32_t>(place.first_problem);
    r.status = device_at<std::uint32_t>(layout_.status) + j;
    r.lut = device_at<std::byte>(place.lut);
    r.indices = device_at<std::uint8_t>(place.indices);
    r.packed = device_at<std::uint8_t>(place.packed);
    std::memcpy(pinned_at<std::byte>(place.staged_weights), request.weight.data,
                job.numel * job.element_bytes);

    std::size_t chunk = place.first_histogram_chunk;
    for (std::uint64_t b = 0; b < job.blocks(); ++b) {
      const std::size_t p = place.first_problem + b;
      const ProblemPlacement& at = layout_.problems[p];
      DeviceProblem& problem = problems_[p];
      problem.request = static_cast<std::uint32_t>(j);
      problem.block = static_cast<std::uint32_t>(b);
      problem.histogram = device_at<std::uint32_t>(at.histogram);
      problem.points = device_at<double>(at.points);
      problem.point_weights = device_at<double>(at.point_weights);
      problem.point_count = device_at<std::uint32_t>(layout_.point_counts) + p;
      problem.cluster_of_key = device_at<std::uint8_t>(at.cluster_of_key);
      problem.cluster_ends = device_at<std::uint32_t>(at.cluster_ends);
      problem.means = device_at<double>(at.means);
      for (std::uint64_t t = 0; t < job.block_elements; t += kHistogramChunkElements) {
        chunks[chunk++] = {static_cast<std::uint32_t>(p), t,
                           std::min(t + kHistogramChunkElements, job.block_elements)};
      }
    }
    if (job.scaled) {
      for (std::uint64_t row = 0; row < job.rows; ++row)
        rows[place.first_scale_row + row] = {static_cast<std::uint32_t>(j), row};
    }
  }
  std::copy(problems_.begin(), problems_.end(),
            pinned_at<DeviceProblem>(layout_.problem_descriptors));
}

void BatchSlot::upload_and_run_first_phases() {
  const cudaStream_t stream = stream_.get();
  copy_to_device(device_.data(), pinned_.data(), layout_.descriptor_bytes, stream);
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    const JobPlacement& place = layout_.jobs[j];
    copy_to_device(device_at<std::byte>(place.weights), pinned_at<std::byte>(place.staged_weights),
                   jobs_[j]->numel * jobs_[j]->element_bytes, stream);
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
  launch_histograms(requests, problems, device_at<const HistogramChunk>(layout_.histogram_chunks),
                    static_cast<std::uint32_t>(layout_.histogram_chunk_count), stream);
  launch_unique_points(requests, problems, static_cast<std::uint32_t>(layout_.problem_count),
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
  in_phase("histograms and unique values", [&] { first_phases_done_.synchronize(); });
  in_phase("clustering and assignment", [&] {
    plan_dp_workspace();
    write_second_descriptors();
    run_second_phases();
  });
}

void BatchSlot::plan_dp_workspace() {
  const auto* status = pinned_at<const std::uint32_t>(layout_.staged_status);
  const auto* point_counts = pinned_at<const std::uint32_t>(layout_.staged_point_counts);
  const std::size_t region = device_.size() - layout_.device_bytes;
  for_cpu_.assign(jobs_.size(), false);
  problem_ids_.clear();
  dp_waves_.assign(1, 0);
  std::size_t used = 0;
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    for_cpu_[j] = status[j] != 0;
    if (for_cpu_[j])
      continue;
    const DeviceJob& job = *jobs_[j];
    for (std::uint64_t b = 0; b < job.blocks(); ++b) {
      const std::size_t p = layout_.jobs[j].first_problem + b;
      const std::uint64_t points = point_counts[p];
      const std::size_t bytes = dp_workspace_bytes(points, job.lut_entries());
      if (bytes > region) {  // cannot happen: the buffer holds the largest possible problem
        throw Error("DP workspace of " + std::to_string(bytes) + " bytes for " + job.request->name +
                    " exceeds the " + std::to_string(region) + " reserved");
      }
      if (used + bytes > region) {  // the workspace is full: the next problems wait a launch
        dp_waves_.push_back(problem_ids_.size());
        used = 0;
      }
      const numeric::DistinctPointsWorkspaceSize size =
          numeric::distinct_points_workspace_size(points, job.lut_entries());
      problems_[p].dp_doubles = device_at<double>(layout_.device_bytes + used);
      problems_[p].dp_indices =
          device_at<std::uint32_t>(layout_.device_bytes + used + aligned(size.doubles * 8));
      used += bytes;
      problem_ids_.push_back(static_cast<std::uint32_t>(p));
    }
  }
  dp_waves_.push_back(problem_ids_.size());
}

void BatchSlot::write_second_descriptors() {
  pack_chunks_.clear();
  first_pack_chunk_.assign(jobs_.size() + 1, 0);
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    first_pack_chunk_[j] = pack_chunks_.size();
    if (for_cpu_[j])
      continue;
    const std::uint64_t groups = (jobs_[j]->numel + 7) / 8;
    for (std::uint64_t first = 0; first < groups; first += kPackChunkGroups) {
      pack_chunks_.push_back(
          {static_cast<std::uint32_t>(j), first, std::min(kPackChunkGroups, groups - first)});
    }
  }
  first_pack_chunk_[jobs_.size()] = pack_chunks_.size();
  std::copy(problems_.begin(), problems_.end(),
            pinned_at<DeviceProblem>(layout_.problem_descriptors));
  std::copy(problem_ids_.begin(), problem_ids_.end(),
            pinned_at<std::uint32_t>(layout_.problem_ids));
  std::copy(pack_chunks_.begin(), pack_chunks_.end(), pinned_at<PackChunk>(layout_.pack_chunks));
}

void BatchSlot::run_second_phases() {
  const cudaStream_t stream = stream_.get();
  copy_to_device(device_.data(), pinned_.data(), layout_.descriptor_bytes, stream);
  const auto* requests = device_at<const DeviceRequest>(layout_.requests);
  const auto* problems = device_at<const DeviceProblem>(layout_.problem_descriptors);
  const auto* ids = device_at<const std::uint32_t>(layout_.problem_ids);
  second_kernels_begin_.record(stream);
  for (std::size_t w = 0; w + 1 < dp_waves_.size(); ++w) {
    launch_exact_dp(requests, problems, ids + dp_waves_[w],
                    static_cast<std::uint32_t>(dp_waves_[w + 1] - dp_waves_[w]), stream);
  }
  launch_assign_and_pack(requests, problems, device_at<const PackChunk>(layout_.pack_chunks),
                         static_cast<std::uint32_t>(pack_chunks_.size()),
                         device_at<ErrorSums>(layout_.chunk_sums), stream);
  compute_end_.record(stream);
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    if (for_cpu_[j])
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
  }
  copy_to_host(pinned_at<std::byte>(layout_.staged_chunk_sums),
               device_at<std::byte>(layout_.chunk_sums), pack_chunks_.size() * sizeof(ErrorSums),
               stream);
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
    timings.push_back(batch);
  });
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    if (for_cpu_[j]) {
      for_cpu.push_back(jobs_[j]->request_index);
    } else {
      results[jobs_[j]->request_index] = take_result(j);
    }
  }
  jobs_.clear();
}

PalettizeResult BatchSlot::take_result(std::size_t j) const {
  const DeviceJob& job = *jobs_[j];
  const PalettizeRequest& request = *job.request;
  const JobPlacement& place = layout_.jobs[j];
  const auto bytes = [&](std::size_t offset, std::size_t count) {
    const std::uint8_t* at = pinned_at<const std::uint8_t>(offset);
    return std::vector<std::uint8_t>(at, at + count);
  };
  PalettizeResult result;
  result.palettized = true;
  palettize::set_part_shapes(request, result);
  result.lut = bytes(place.staged_lut, job.lut_bytes());
  result.indices = bytes(place.staged_indices, job.numel);
  result.packed_indices = bytes(place.staged_packed, job.packed_bytes());
  if (job.scaled) {
    result.scale = bytes(place.staged_scale, job.rows * job.element_bytes);
  }
  // Chunk sums in chunk order: deterministic (the CPU sums per block, so the last bits may differ).
  const auto* sums = pinned_at<const ErrorSums>(layout_.staged_chunk_sums);
  for (std::size_t c = first_pack_chunk_[j]; c < first_pack_chunk_[j + 1]; ++c) {
    result.sse += sums[c].sse;
    result.weight_sq_norm += sums[c].sq_norm;
  }
  result.unique_path_blocks = job.blocks();
  return result;
}

void BatchSlot::abandon() noexcept {
  cudaStreamSynchronize(stream_.get());
  cudaGetLastError();
  jobs_.clear();
}

}  // namespace kmlut::cuda
