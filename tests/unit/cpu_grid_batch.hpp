// The CUDA backend's batch run with a fake device: the host orchestration of
// host/backends/cuda/ (device_job, batch_layout, batch_descriptors) as BatchSlot runs it, with
// host memory for device memory, memcpy for the CUDA copies and the CPU grid executor
// (tests/support/cpu_grid.hpp) running the kernel bodies (kernels/bodies/) at the device's block
// sizes, in BatchSlot's phase order. Device memory starts filled with garbage, as cudaMalloc's
// does, except the range BatchSlot zeroes.
#pragma once

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "host/backends/cuda/batch_descriptors.hpp"
#include "host/backends/cuda/batch_layout.hpp"
#include "host/backends/cuda/device_job.hpp"
#include "kernels/bodies/all_values_body.hpp"
#include "kernels/bodies/assign_and_pack_body.hpp"
#include "kernels/bodies/exact_dp_body.hpp"
#include "kernels/bodies/histogram_body.hpp"
#include "kernels/bodies/lut_quantization_body.hpp"
#include "kernels/bodies/per_channel_scale_body.hpp"
#include "kernels/bodies/rounding_table_body.hpp"
#include "kernels/bodies/sensitivity_weights_body.hpp"
#include "kernels/bodies/unique_points_body.hpp"
#include "tests/support/cpu_grid.hpp"

namespace kmlut::testing_support {

// Fast mode's rounding table, as the CPU computes it (the batch's tables: the device's table is
// compared with it on its own) and as the device does.
inline std::vector<float> cpu_rounding_table(int precision) {
  std::vector<float> table(numeric::kHalfPatterns);
  numeric::fill_rounding_table(precision, table.data());
  return table;
}

inline std::vector<float> grid_rounding_table(int precision) {
  std::vector<float> table(numeric::kHalfPatterns);
  const float scale = numeric::decimal_scale(precision);
  run_grid<char>(
      numeric::kHalfPatterns / cuda::kRoundingTableThreads, cuda::kRoundingTableThreads,
      [&](const CpuThread& at, char&) { cuda::rounding_table_body(at, scale, table.data()); });
  return table;
}

struct GridBatchResult {
  std::vector<PalettizeResult> results;  // of the requests the device completed, else empty
  std::vector<std::size_t> for_cpu;      // requests the device flagged for the CPU backend
  std::size_t dp_waves = 0;              // DP launches
};

class CpuGridBatch {
 public:
  // `exact_dp_threads`: the DP's block size, one of the kernel's (is_exact_dp_block_size).
  explicit CpuGridBatch(unsigned exact_dp_threads = cuda::kExactDpThreads)
      : exact_dp_threads_(exact_dp_threads) {}

  // `dp_region_bytes`: the DP workspace's room beyond the batch's layout (at least one problem's);
  // 0 for every problem's largest possible workspace. `one_pass`: plan the second phases before
  // the first run, as BatchSlot does when every problem's largest workspace fits.
  GridBatchResult run(const std::vector<PalettizeRequest>& requests, std::size_t dp_region_bytes,
                      bool one_pass) {
    owned_jobs_.clear();
    jobs_.clear();
    for (std::size_t i = 0; i < requests.size(); ++i)
      owned_jobs_.push_back(cuda::make_device_job(i, requests[i]));
    for (const cuda::DeviceJob& job : owned_jobs_)
      jobs_.push_back(&job);
    layout_ = cuda::lay_out_batch(jobs_);
    const std::size_t region = std::max(
        layout_.dp_reserve_bytes,
        dp_region_bytes == 0 ? cuda::dp_bytes_for_largest_problems(jobs_) : dp_region_bytes);
    device_.assign((layout_.device_bytes + region) / sizeof(Word) + 1, Word{});
    // 0x41 bytes read as 2.3e6 in a double and 1.1e9 in a count: a sum into memory nobody zeroed
    // shows (0xA5 bytes are a double of 1e-106, which vanishes when added to a count).
    std::memset(device_.data(), 0x41, device_.size() * sizeof(Word));
    pinned_.assign(layout_.pinned_bytes / sizeof(Word) + 1, Word{});
    buffers_ = {bytes(device_), layout_.device_bytes + region, bytes(pinned_)};

    problems_ = cuda::write_first_descriptors(jobs_, layout_, buffers_, [&](int precision) {
      auto table = tables_.find(precision);
      if (table == tables_.end())
        table = tables_.emplace(precision, cpu_rounding_table(precision)).first;
      return static_cast<const float*>(table->second.data());
    });
    cuda::SecondPhases phases;
    if (one_pass)
      phases = cuda::plan_second_phases(jobs_, layout_, buffers_, problems_, nullptr);
    run_first_phases();
    if (!one_pass) {
      const cuda::FirstPhaseCounts counts = cuda::staged_counts(layout_, buffers_.pinned);
      phases = cuda::plan_second_phases(jobs_, layout_, buffers_, problems_, &counts);
    }
    run_second_phases(phases);

    GridBatchResult out;
    out.results.resize(requests.size());
    out.dp_waves = phases.dp_waves.size() - 1;
    for (std::size_t j = 0; j < jobs_.size(); ++j) {
      if (cuda::flagged_for_cpu(layout_, buffers_.pinned, j)) {
        out.for_cpu.push_back(j);
      } else {
        out.results[j] = cuda::take_result(jobs_, j, layout_, phases, buffers_.pinned);
      }
    }
    return out;
  }

 private:
  struct alignas(256) Word {
    unsigned char bytes[256];
  };
  static std::byte* bytes(std::vector<Word>& words) {
    return reinterpret_cast<std::byte*>(words.data());
  }
  template <class T>
  T* device_at(std::size_t offset) {
    return reinterpret_cast<T*>(buffers_.device + offset);
  }
  void to_device(std::size_t device, std::size_t pinned, std::size_t count) {
    std::memcpy(buffers_.device + device, buffers_.pinned + pinned, count);
  }
  void to_host(std::size_t pinned, std::size_t device, std::size_t count) {
    std::memcpy(buffers_.pinned + pinned, buffers_.device + device, count);
  }

  void run_first_phases() {
    to_device(0, 0, layout_.descriptor_bytes);
    for (std::size_t j = 0; j < jobs_.size(); ++j) {
      to_device(layout_.jobs[j].weights, layout_.jobs[j].staged_weights,
                jobs_[j]->numel * jobs_[j]->element_bytes);
      for (const cuda::BufferCopy& copy : cuda::extra_uploads(*jobs_[j], layout_.jobs[j]))
        to_device(copy.device, copy.pinned, copy.bytes);
    }
    std::memset(buffers_.device + layout_.zeroed_begin, 0,
                layout_.zeroed_end - layout_.zeroed_begin);
    const auto* requests = device_at<const cuda::DeviceRequest>(layout_.requests);
    const auto* problems = device_at<const cuda::DeviceProblem>(layout_.problem_descriptors);
    const auto* rows = device_at<const cuda::ScaleRow>(layout_.scale_rows);
    run_grid<cuda::ScaleShared>(static_cast<unsigned>(layout_.scale_row_count), cuda::kScaleThreads,
                                [&](const CpuThread& at, cuda::ScaleShared& shared) {
                                  cuda::per_channel_scale_body(at, requests, rows, shared);
                                });
    const auto* chunks = device_at<const cuda::HistogramChunk>(layout_.histogram_chunks);
    run_grid<cuda::HistogramShared>(static_cast<unsigned>(layout_.histogram_chunk_count),
                                    cuda::kHistogramThreads,
                                    [&](const CpuThread& at, cuda::HistogramShared& shared) {
                                      cuda::histogram_body(at, requests, problems, chunks, shared);
                                    });
    run_grid<cuda::UniquePointsShared>(static_cast<unsigned>(layout_.problem_count),
                                       cuda::kUniquePointsThreads,
                                       [&](const CpuThread& at, cuda::UniquePointsShared& shared) {
                                         cuda::unique_points_body(at, requests, problems, shared);
                                       });
    run_grid<cuda::SensitivityShared>(
        static_cast<unsigned>(layout_.problem_count), cuda::kSensitivityThreads,
        [&](const CpuThread& at, cuda::SensitivityShared& shared) {
          cuda::sensitivity_weights_body(at, requests, problems, shared);
        });
    run_grid<cuda::AllValuesShared>(static_cast<unsigned>(layout_.problem_count),
                                    cuda::kAllValuesThreads,
                                    [&](const CpuThread& at, cuda::AllValuesShared& shared) {
                                      cuda::all_values_points_body(at, requests, problems, shared);
                                    });
    to_host(layout_.staged_status, layout_.status, jobs_.size() * sizeof(std::uint32_t));
    to_host(layout_.staged_point_counts, layout_.point_counts,
            layout_.problem_count * sizeof(std::uint32_t));
  }

  void run_second_phases(const cuda::SecondPhases& phases) {
    to_device(0, 0, layout_.descriptor_bytes);
    const auto* requests = device_at<const cuda::DeviceRequest>(layout_.requests);
    const auto* problems = device_at<const cuda::DeviceProblem>(layout_.problem_descriptors);
    const auto* ids = device_at<const std::uint32_t>(layout_.problem_ids);
    for (std::size_t w = 0; w + 1 < phases.dp_waves.size(); ++w) {
      const std::uint32_t* wave = ids + phases.dp_waves[w];
      const auto blocks = static_cast<unsigned>(phases.dp_waves[w + 1] - phases.dp_waves[w]);
      if (exact_dp_threads_ == 32)
        run_exact_dp<32>(requests, problems, wave, blocks);
      else if (exact_dp_threads_ == 64)
        run_exact_dp<64>(requests, problems, wave, blocks);
      else
        run_exact_dp<256>(requests, problems, wave, blocks);
    }
    run_grid<char>(
        static_cast<unsigned>((phases.problem_ids.size() + cuda::kLutQuantizationThreads - 1) /
                              cuda::kLutQuantizationThreads),
        cuda::kLutQuantizationThreads, [&](const CpuThread& at, char&) {
          cuda::lut_quantization_body(at, requests, problems, ids,
                                      static_cast<std::uint32_t>(phases.problem_ids.size()));
        });
    const auto* chunks = device_at<const cuda::PackChunk>(layout_.pack_chunks);
    auto* sums = device_at<cuda::ErrorSums>(layout_.chunk_sums);
    run_grid<cuda::AssignShared>(
        static_cast<unsigned>(phases.pack_chunks.size()), cuda::kAssignThreads,
        [&](const CpuThread& at, cuda::AssignShared& shared) {
          cuda::assign_and_pack_body(at, requests, problems, chunks, sums, shared);
        });
    for (std::size_t j = 0; j < jobs_.size(); ++j) {
      if (phases.for_cpu[j])
        continue;  // as BatchSlot: a job left out has nothing to download
      const cuda::DeviceJob& job = *jobs_[j];
      const cuda::JobPlacement& place = layout_.jobs[j];
      to_host(place.staged_lut, place.lut, job.lut_bytes());
      to_host(place.staged_indices, place.indices, job.numel);
      to_host(place.staged_packed, place.packed, job.packed_bytes());
      if (job.scaled)
        to_host(place.staged_scale, place.scale, job.rows * job.element_bytes);
      for (const cuda::BufferCopy& copy : cuda::extra_result_downloads(job, place))
        to_host(copy.pinned, copy.device, copy.bytes);
    }
    to_host(layout_.staged_chunk_sums, layout_.chunk_sums,
            phases.pack_chunks.size() * sizeof(cuda::ErrorSums));
  }

  template <unsigned kThreads>
  void run_exact_dp(const cuda::DeviceRequest* requests, const cuda::DeviceProblem* problems,
                    const std::uint32_t* wave, unsigned blocks) {
    using DpShared = cuda::CtaShared<kThreads>;
    run_grid<DpShared>(blocks, kThreads, [&](const CpuThread& at, DpShared& shared) {
      cuda::exact_dp_body<kThreads>(at, requests, problems, wave, shared);
    });
  }

  unsigned exact_dp_threads_;
  std::vector<cuda::DeviceJob> owned_jobs_;
  std::vector<const cuda::DeviceJob*> jobs_;
  cuda::BatchLayout layout_;
  std::vector<Word> device_;
  std::vector<Word> pinned_;
  cuda::BatchBuffers buffers_;
  std::vector<cuda::DeviceProblem> problems_;
  std::map<int, std::vector<float>> tables_;
};

}  // namespace kmlut::testing_support
