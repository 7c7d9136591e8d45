#include "host/backends/cuda/device_job.hpp"

#include <algorithm>

#include "host/backends/cuda/batch_layout.hpp"
#include "host/palettize/sensitivity.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/numeric/bit_packing.hpp"
#include "kmlut/numeric/distinct_points_kmeans.hpp"

namespace kmlut::cuda {

namespace {

// The device walks a request's blocks as equally shaped runs, block b starting at b·run_length
// (kernels/scalar_batch.hpp); true when the CPU's layout is of that form.
bool walks_on_device(const palettize::BlockLayout& layout) {
  const palettize::BlockRuns& first = layout.blocks.front();
  for (std::size_t b = 0; b < layout.blocks.size(); ++b) {
    const palettize::BlockRuns& block = layout.blocks[b];
    if (block.first != b * first.run_length || block.run_length != first.run_length ||
        block.run_count != first.run_count || block.run_stride != first.run_stride) {
      return false;
    }
  }
  return true;
}

bool usable_sensitivity(const PalettizeRequest& request) {
  std::vector<float> normalized;
  return request.sensitivity.shape == request.weight.shape &&
         palettize::normalize_sensitivity(request.sensitivity, normalized).empty();
}

}  // namespace

std::string device_path_gap(const PalettizeRequest& request) {
  std::string reason = preflight_skip_reason(request, false);
  if (!reason.empty())
    return reason;
  if (!walks_on_device(palettize::plan_scalar_blocks(request.weight.shape, request.spec)))
    return "a block layout the device does not walk";
  const PalettizationSpec& spec = request.spec;
  if (spec.cluster_dim > 1)
    return "vector palettization is not a scalar batch (its fits run through vector_fit_driver)";
  if (request.sensitivity.data != nullptr && !usable_sensitivity(request))
    return "the CPU backend reports the unusable sensitivity";
  return {};
}

DeviceJob make_device_job(std::size_t request_index, const PalettizeRequest& request) {
  DeviceJob job;
  job.request_index = request_index;
  job.request = &request;
  job.layout = palettize::plan_scalar_blocks(request.weight.shape, request.spec);
  job.numel = request.weight.numel();
  job.element_bytes = dtype_bits(request.weight.dtype) / 8;
  job.rows = static_cast<std::uint64_t>(request.weight.shape[0]);
  job.row_size = job.numel / job.rows;
  job.block_elements = job.layout.blocks.front().size();
  job.n_bits = request.spec.n_bits;
  job.scaled = request.spec.enable_per_channel_scale;
  job.quantized_lut = request.spec.lut_qspec.has_value();
  job.sensitivity = palettize::normalized_sensitivity(request);
  job.all_values = request.weight.dtype != DType::F16 && !request.enable_fast_kmeans_mode;
  return job;
}

std::uint64_t DeviceJob::packed_bytes() const {
  return numeric::packed_size(numel, n_bits);
}

std::uint64_t DeviceJob::max_points() const {
  return std::min<std::uint64_t>(block_elements, numeric::kMaxDistinctPoints);
}

std::uint64_t DeviceJob::histogram_chunks() const {
  return blocks() * ((block_elements + kHistogramChunkElements - 1) / kHistogramChunkElements);
}

std::uint64_t DeviceJob::pack_chunks() const {
  const std::uint64_t groups = (numel + 7) / 8;
  return (groups + kPackChunkGroups - 1) / kPackChunkGroups;
}

std::size_t dp_workspace_bytes(std::uint64_t points, std::uint64_t clusters) {
  const numeric::DistinctPointsWorkspaceSize size =
      numeric::distinct_points_workspace_size(points, clusters);
  return aligned(size.doubles * sizeof(double)) + aligned(size.indices * sizeof(std::uint32_t));
}

JobFootprint job_footprint(const DeviceJob& job) {
  // A batch of one: a batch of several needs at most the sum (its arrays share alignment padding).
  const BatchLayout layout = lay_out_batch({&job});
  return {layout.device_bytes, layout.pinned_bytes, layout.dp_reserve_bytes};
}

bool fits_alone(const JobFootprint& need, std::size_t device_bytes, std::size_t pinned_bytes) {
  return need.device_bytes + need.dp_reserve_bytes <= device_bytes &&
         need.pinned_bytes <= pinned_bytes;
}

BatchPlan plan_batches(const std::vector<DeviceJob>& jobs, std::size_t device_bytes,
                       std::size_t pinned_bytes) {
  BatchPlan plan;
  std::vector<const DeviceJob*> batch;
  JobFootprint used;
  for (const DeviceJob& job : jobs) {
    const JobFootprint need = job_footprint(job);
    if (!fits_alone(need, device_bytes, pinned_bytes)) {
      plan.too_large.push_back(&job);
      continue;
    }
    const std::size_t reserve = std::max(used.dp_reserve_bytes, need.dp_reserve_bytes);
    if (!batch.empty() && (used.device_bytes + need.device_bytes + reserve > device_bytes ||
                           used.pinned_bytes + need.pinned_bytes > pinned_bytes)) {
      plan.batches.push_back(std::move(batch));
      batch.clear();
      used = {};
    }
    batch.push_back(&job);
    used.device_bytes += need.device_bytes;
    used.pinned_bytes += need.pinned_bytes;
    used.dp_reserve_bytes = std::max(used.dp_reserve_bytes, need.dp_reserve_bytes);
  }
  if (!batch.empty())
    plan.batches.push_back(std::move(batch));
  return plan;
}

}  // namespace kmlut::cuda
