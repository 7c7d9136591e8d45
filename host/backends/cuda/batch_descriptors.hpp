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
  std::vector<bool> for_cpu;                  // per job: the device flagged it for the CPU
  std::vector<std::size_t> dp_waves;          // bounds of the DP launches in problem_ids
  std::vector<std::uint32_t> problem_ids;     // the problems clustered, wave after wave
  std::vector<PackChunk> pack_chunks;         // the chunks assigned, job after job
  std::vector<std::size_t> first_pack_chunk;  // per job and one past the end, into pack_chunks
};

// Places each problem's DP workspace (in waves when they do not all fit) and writes the problems,
// problem ids and pack chunks into `pinned`.
SecondPhases plan_second_phases(const std::vector<const DeviceJob*>& jobs,
                                const BatchLayout& layout, const BatchBuffers& buffers,
                                std::vector<DeviceProblem>& problems);

// Job j's result from the downloaded LUT, indices, packed indices, scale and chunk sums.
PalettizeResult take_result(const std::vector<const DeviceJob*>& jobs, std::size_t j,
                            const BatchLayout& layout, const SecondPhases& phases,
                            const std::byte* pinned);

}  // namespace kmlut::cuda
