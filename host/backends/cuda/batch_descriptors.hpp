// The descriptor arrays of a batch (kernels/scalar_batch.hpp) and the results read back, as plain
// C++ over two byte buffers laid out by lay_out_batch: `device` (whose addresses the descriptors
// hold) and `pinned` (where the host stages). BatchSlot runs them around its CUDA copies and
// launches; the CPU tests run them around memcpy and the CPU grid executor, so the host
// orchestration is tested without a GPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "host/backends/cuda/batch_layout.hpp"
#include "host/backends/cuda/device_job.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut::cuda {

struct BatchBuffers {
  std::byte* device = nullptr;
  std::size_t device_size = 0;  // the DP workspace takes [layout.device_bytes, device_size)
  std::byte* pinned = nullptr;
};

// The fast-mode rounding table of a precision, in device memory.
using RoundingTableOf = std::function<const float*(int precision)>;

// Stages every weight tensor and writes the requests, problems, histogram chunks and scale rows
// into `pinned` (descriptors at the same offsets as on the device). Returns the problems, whose
// DP workspace plan_second_phases fills in.
std::vector<DeviceProblem> write_first_descriptors(const std::vector<const DeviceJob*>& jobs,
                                                   const BatchLayout& layout,
                                                   const BatchBuffers& buffers,
                                                   const RoundingTableOf& rounding_table);

// What the second phases run, decided from the staged request status and point counts.
struct SecondPhases {
  std::vector<bool> for_cpu;                  // per job: left out (flagged by the first phases)
  std::vector<std::size_t> dp_waves;          // bounds of the DP launches in problem_ids
  std::vector<std::uint32_t> problem_ids;     // the problems clustered, wave after wave
  std::vector<PackChunk> pack_chunks;         // the chunks assigned, job after job
  std::vector<std::size_t> first_pack_chunk;  // per job and one past the end, into pack_chunks
};

// What the first phases found, staged in `pinned`: the request status and the point counts.
struct FirstPhaseCounts {
  const std::uint32_t* status;
  const std::uint32_t* point_counts;
};

FirstPhaseCounts staged_counts(const BatchLayout& layout, const std::byte* pinned);

// The DP region that gives every problem of the batch its largest possible workspace: with that
// much room the second phases are planned before the first run, and no host round trip
// separates them.
std::size_t dp_bytes_for_largest_problems(const std::vector<const DeviceJob*>& jobs);

// Places each problem's DP workspace and writes the problems, problem ids and pack chunks into
// `pinned`. With the first phases' counts: each problem's workspace fits its point count (in
// waves when they do not all fit) and flagged requests are left out. Without (nullptr, before the
// first phases run): each problem gets its largest possible workspace in one wave (the region
// must hold dp_bytes_for_largest_problems), and every request is planned: the DP and assignment
// bodies skip a request the first phases flag.
SecondPhases plan_second_phases(const std::vector<const DeviceJob*>& jobs,
                                const BatchLayout& layout, const BatchBuffers& buffers,
                                std::vector<DeviceProblem>& problems,
                                const FirstPhaseCounts* counts);

// Whether the device flagged job j for the CPU backend (non-finite values, or in fast mode values
// beyond fp16's range), from the status staged with the results.
bool flagged_for_cpu(const BatchLayout& layout, const std::byte* pinned, std::size_t j);

// A copy between the device buffer and the pinned one, by offsets.
struct BufferCopy {
  std::size_t device = 0;
  std::size_t pinned = 0;
  std::size_t bytes = 0;
};

// The downloads a job's results need besides the LUT, indices, packed indices and scale: LUT
// quantization's codes, scales and zero points (none without lut_qspec).
std::vector<BufferCopy> extra_result_downloads(const DeviceJob& job, const JobPlacement& place);

// The uploads a job needs besides its weights: its sensitivities (none without).
std::vector<BufferCopy> extra_uploads(const DeviceJob& job, const JobPlacement& place);

// Job j's result from the downloaded LUT, indices, packed indices, scale and chunk sums.
PalettizeResult take_result(const std::vector<const DeviceJob*>& jobs, std::size_t j,
                            const BatchLayout& layout, const SecondPhases& phases,
                            const std::byte* pinned);

}  // namespace kmlut::cuda
