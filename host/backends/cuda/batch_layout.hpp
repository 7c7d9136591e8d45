// Where everything of a batch lives: offsets into the slot's device buffer and its pinned staging
// buffer. Both start with the descriptor arrays at the same offsets, so one copy uploads them.
// The DP workspace takes the device buffer after `device_bytes`.
#pragma once

#include <cstddef>
#include <vector>

#include "host/backends/cuda/device_job.hpp"

namespace kmlut::cuda {

struct JobPlacement {
  // device
  std::size_t weights = 0;
  std::size_t scaled = 0;  // with per-channel scale only
  std::size_t scale = 0;
  std::size_t lut = 0;
  std::size_t indices = 0;
  std::size_t packed = 0;
  std::size_t lut_codes = 0;  // with lut_qspec only
  std::size_t lut_scale = 0;
  std::size_t lut_zero_point = 0;
  std::size_t sensitivity = 0;  // with sensitivities only
  std::size_t sensitivity_by_value = 0;
  std::size_t value_cursors = 0;
  std::size_t sort_keys = 0;  // on the all-values path only
  std::size_t sort_items = 0;
  std::size_t cluster_upper = 0;
  // pinned
  std::size_t staged_weights = 0;
  std::size_t staged_scale = 0;
  std::size_t staged_lut = 0;
  std::size_t staged_indices = 0;
  std::size_t staged_packed = 0;
  std::size_t staged_lut_codes = 0;
  std::size_t staged_lut_scale = 0;
  std::size_t staged_lut_zero_point = 0;
  std::size_t staged_sensitivity = 0;
  // the job's problems, histogram chunks, scale rows and pack chunks in the descriptor arrays
  std::size_t first_problem = 0;
  std::size_t first_histogram_chunk = 0;
  std::size_t first_scale_row = 0;
  std::size_t first_pack_chunk = 0;
};

struct ProblemPlacement {  // device
  std::size_t histogram = 0;
  std::size_t points = 0;
  std::size_t point_weights = 0;
  std::size_t cluster_of_key = 0;
  std::size_t cluster_ends = 0;
  std::size_t means = 0;
};

struct BatchLayout {
  std::vector<JobPlacement> jobs;
  std::vector<ProblemPlacement> problems;
  std::size_t problem_count = 0;
  std::size_t histogram_chunk_count = 0;
  std::size_t scale_row_count = 0;
  std::size_t pack_chunk_count = 0;
  // descriptor arrays, same offsets in both buffers: [0, descriptor_bytes)
  std::size_t requests = 0;
  std::size_t problem_descriptors = 0;
  std::size_t histogram_chunks = 0;
  std::size_t scale_rows = 0;
  std::size_t problem_ids = 0;
  std::size_t pack_chunks = 0;
  std::size_t descriptor_bytes = 0;
  // device: zeroed before the first phase (request status, histograms)
  std::size_t zeroed_begin = 0;
  std::size_t zeroed_end = 0;
  std::size_t status = 0;
  std::size_t point_counts = 0;
  std::size_t chunk_sums = 0;
  std::size_t device_bytes = 0;  // the DP workspace starts here
  std::size_t dp_reserve_bytes = 0;
  // pinned copies of the small results
  std::size_t staged_status = 0;
  std::size_t staged_point_counts = 0;
  std::size_t staged_chunk_sums = 0;
  std::size_t pinned_bytes = 0;
};

BatchLayout lay_out_batch(const std::vector<const DeviceJob*>& jobs);

}  // namespace kmlut::cuda
