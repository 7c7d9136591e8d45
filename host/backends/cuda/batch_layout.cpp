#include "host/backends/cuda/batch_layout.hpp"

#include <algorithm>
#include <cstdint>

#include "kernels/scalar_batch.hpp"
#include "kmlut/numeric/half_pattern_keys.hpp"

namespace kmlut::cuda {
namespace {

// Hands out aligned ranges of a buffer, from offset 0 on.
class Bump {
 public:
  std::size_t take(std::size_t bytes) {
    const std::size_t at = size_;
    size_ += aligned(bytes);
    return at;
  }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_ = 0;
};

}  // namespace

BatchLayout lay_out_batch(const std::vector<const DeviceJob*>& jobs) {
  BatchLayout layout;
  layout.jobs.resize(jobs.size());
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const DeviceJob& job = *jobs[j];
    JobPlacement& place = layout.jobs[j];
    place.first_problem = layout.problem_count;
    place.first_histogram_chunk = layout.histogram_chunk_count;
    place.first_scale_row = layout.scale_row_count;
    place.first_pack_chunk = layout.pack_chunk_count;
    layout.problem_count += job.blocks();
    layout.histogram_chunk_count += job.histogram_chunks();
    layout.scale_row_count += job.scaled ? job.rows : 0;
    layout.pack_chunk_count += job.pack_chunks();
  }

  Bump device;
  Bump pinned;
  const auto both = [&](std::size_t bytes) {
    const std::size_t at = device.take(bytes);
    pinned.take(bytes);
    return at;
  };
  layout.requests = both(jobs.size() * sizeof(DeviceRequest));
  layout.problem_descriptors = both(layout.problem_count * sizeof(DeviceProblem));
  layout.histogram_chunks = both(layout.histogram_chunk_count * sizeof(HistogramChunk));
  layout.scale_rows = both(layout.scale_row_count * sizeof(ScaleRow));
  layout.problem_ids = both(layout.problem_count * sizeof(std::uint32_t));
  layout.pack_chunks = both(layout.pack_chunk_count * sizeof(PackChunk));
  layout.descriptor_bytes = device.size();

  layout.zeroed_begin = device.size();
  layout.status = device.take(jobs.size() * sizeof(std::uint32_t));
  layout.problems.resize(layout.problem_count);
  std::size_t problem = 0;
  for (const DeviceJob* job : jobs) {
    for (std::uint64_t b = 0; b < job->blocks(); ++b, ++problem) {
      ProblemPlacement& place = layout.problems[problem];
      place.histogram = device.take(numeric::kPatternKeys * sizeof(std::uint32_t));
    }
  }
  layout.zeroed_end = device.size();

  layout.point_counts = device.take(layout.problem_count * sizeof(std::uint32_t));
  layout.chunk_sums = device.take(layout.pack_chunk_count * sizeof(ErrorSums));
  problem = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const DeviceJob& job = *jobs[j];
    JobPlacement& place = layout.jobs[j];
    const std::size_t tensor_bytes = job.numel * job.element_bytes;
    const std::size_t scale_bytes = job.scaled ? job.rows * job.element_bytes : 0;
    place.weights = device.take(tensor_bytes);
    place.scaled = device.take(job.scaled ? tensor_bytes : 0);
    place.scale = device.take(scale_bytes);
    place.lut = device.take(job.lut_bytes());
    place.indices = device.take(job.numel);
    place.packed = device.take(job.packed_bytes());
    place.staged_weights = pinned.take(tensor_bytes);
    place.staged_scale = pinned.take(scale_bytes);
    place.staged_lut = pinned.take(job.lut_bytes());
    place.staged_indices = pinned.take(job.numel);
    place.staged_packed = pinned.take(job.packed_bytes());
    place.lut_codes = device.take(job.lut_code_bytes());
    place.lut_scale = device.take(job.lut_scale_bytes());
    place.lut_zero_point = device.take(job.lut_zero_point_bytes());
    place.staged_lut_codes = pinned.take(job.lut_code_bytes());
    place.staged_lut_scale = pinned.take(job.lut_scale_bytes());
    place.staged_lut_zero_point = pinned.take(job.lut_zero_point_bytes());
    place.sensitivity = device.take(job.sensitivity_bytes());
    place.sensitivity_by_value = device.take(job.sensitivity_bytes());
    place.value_cursors = device.take(job.value_cursor_bytes());
    place.sort_keys = device.take(job.sort_bytes());
    place.sort_items = device.take(job.sort_bytes());
    place.cluster_upper = device.take(job.cluster_upper_bytes());
    place.staged_sensitivity = pinned.take(job.sensitivity_bytes());
    for (std::uint64_t b = 0; b < job.blocks(); ++b, ++problem) {
      ProblemPlacement& problem_place = layout.problems[problem];
      problem_place.points = device.take(job.max_points() * sizeof(double));
      // Zeroed by the unique-points phase, as far as the block's values reach.
      problem_place.point_weights = device.take(job.max_points() * sizeof(double));
      problem_place.cluster_of_key = device.take(numeric::kPatternKeys);
      problem_place.cluster_ends = device.take(job.lut_entries() * sizeof(std::uint32_t));
      problem_place.means = device.take(job.lut_entries() * sizeof(double));
    }
    layout.dp_reserve_bytes =
        std::max(layout.dp_reserve_bytes, dp_workspace_bytes(job.max_points(), job.lut_entries()));
  }
  layout.device_bytes = device.size();

  layout.staged_status = pinned.take(jobs.size() * sizeof(std::uint32_t));
  layout.staged_point_counts = pinned.take(layout.problem_count * sizeof(std::uint32_t));
  layout.staged_chunk_sums = pinned.take(layout.pack_chunk_count * sizeof(ErrorSums));
  layout.pinned_bytes = pinned.size();
  return layout;
}

}  // namespace kmlut::cuda
