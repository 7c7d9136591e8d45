#include "host/backends/cuda/batch_descriptors.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "host/palettize/result_shapes.hpp"
#include "kmlut/error.hpp"
#include "kmlut/numeric/distinct_points_kmeans.hpp"

namespace kmlut::cuda {
namespace {

template <class T>
T* at(std::byte* base, std::size_t offset) {
  return reinterpret_cast<T*>(base + offset);
}

template <class T>
const T* at(const std::byte* base, std::size_t offset) {
  return reinterpret_cast<const T*>(base + offset);
}

// Where element t of a block lies: the device walks the same runs (scalar_batch.hpp).
std::uint64_t block_period(const DeviceJob& job) {
  const palettize::BlockRuns& runs = job.layout.blocks.front();
  return runs.run_count == 1 ? job.numel : runs.run_stride;
}

DeviceRequest describe_request(const DeviceJob& job, std::size_t j, const JobPlacement& place,
                               const BatchLayout& layout, std::byte* device,
                               const RoundingTableOf& rounding_table) {
  const PalettizeRequest& request = *job.request;
  const palettize::BlockRuns& runs = job.layout.blocks.front();
  DeviceRequest r{};
  r.dtype = static_cast<std::uint8_t>(request.weight.dtype);
  r.n_bits = job.n_bits;
  r.rounding_table =
      request.enable_fast_kmeans_mode ? rounding_table(request.rounding_precision) : nullptr;
  r.weights = device + place.weights;
  r.scaled = job.scaled ? device + place.scaled : nullptr;
  r.values = job.scaled ? r.scaled : r.weights;
  r.scale = job.scaled ? device + place.scale : nullptr;
  r.numel = job.numel;
  r.row_size = job.row_size;
  r.run_length = runs.run_length;
  r.run_stride = runs.run_stride;
  r.run_count = runs.run_count;
  r.period = block_period(job);
  r.first_problem = static_cast<std::uint32_t>(place.first_problem);
  r.status = at<std::uint32_t>(device, layout.status) + j;
  r.lut = device + place.lut;
  r.indices = at<std::uint8_t>(device, place.indices);
  r.packed = at<std::uint8_t>(device, place.packed);
  if (job.quantized_lut) {
    const LutQSpec& qspec = *request.spec.lut_qspec;
    r.lut_signed = qspec.dtype == LutDType::Int8 ? 1 : 0;
    r.lut_symmetric = qspec.qscheme == QScheme::Symmetric ? 1 : 0;
    r.lut_codes = at<std::uint8_t>(device, place.lut_codes);
    r.lut_scale = device + place.lut_scale;
    r.lut_zero_point = at<std::uint8_t>(device, place.lut_zero_point);
  }
  if (!job.sensitivity.empty()) {
    r.sensitivity = at<float>(device, place.sensitivity);
    r.sensitivity_by_value = at<float>(device, place.sensitivity_by_value);
    r.value_cursors = at<std::uint64_t>(device, place.value_cursors);
  }
  if (job.all_values) {
    r.sort_keys = at<std::uint64_t>(device, place.sort_keys);
    r.sort_items = at<std::uint64_t>(device, place.sort_items);
    r.cluster_upper = at<double>(device, place.cluster_upper);
  }
  return r;
}

}  // namespace

std::vector<DeviceProblem> write_first_descriptors(const std::vector<const DeviceJob*>& jobs,
                                                   const BatchLayout& layout,
                                                   const BatchBuffers& buffers,
                                                   const RoundingTableOf& rounding_table) {
  std::byte* device = buffers.device;
  std::byte* pinned = buffers.pinned;
  auto* chunks = at<HistogramChunk>(pinned, layout.histogram_chunks);
  auto* rows = at<ScaleRow>(pinned, layout.scale_rows);
  std::vector<DeviceProblem> problems(layout.problem_count);
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const DeviceJob& job = *jobs[j];
    const JobPlacement& place = layout.jobs[j];
    at<DeviceRequest>(pinned, layout.requests)[j] =
        describe_request(job, j, place, layout, device, rounding_table);
    std::memcpy(pinned + place.staged_weights, job.request->weight.data,
                job.numel * job.element_bytes);
    if (!job.sensitivity.empty()) {
      std::memcpy(pinned + place.staged_sensitivity, job.sensitivity.data(),
                  job.sensitivity_bytes());
    }
    std::size_t chunk = place.first_histogram_chunk;
    for (std::uint64_t b = 0; b < job.blocks(); ++b) {
      const std::size_t p = place.first_problem + b;
      const ProblemPlacement& placed = layout.problems[p];
      DeviceProblem& problem = problems[p];
      problem.request = static_cast<std::uint32_t>(j);
      problem.block = static_cast<std::uint32_t>(b);
      problem.histogram = at<std::uint32_t>(device, placed.histogram);
      problem.points = at<double>(device, placed.points);
      problem.point_weights = at<double>(device, placed.point_weights);
      problem.point_count = at<std::uint32_t>(device, layout.point_counts) + p;
      problem.cluster_of_key = at<std::uint8_t>(device, placed.cluster_of_key);
      problem.cluster_ends = at<std::uint32_t>(device, placed.cluster_ends);
      problem.means = at<double>(device, placed.means);
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
  std::copy(problems.begin(), problems.end(),
            at<DeviceProblem>(pinned, layout.problem_descriptors));
  return problems;
}

FirstPhaseCounts staged_counts(const BatchLayout& layout, const std::byte* pinned) {
  return {at<std::uint32_t>(pinned, layout.staged_status),
          at<std::uint32_t>(pinned, layout.staged_point_counts)};
}

std::size_t dp_bytes_for_largest_problems(const std::vector<const DeviceJob*>& jobs) {
  std::size_t bytes = 0;
  for (const DeviceJob* job : jobs)
    bytes += job->blocks() * dp_workspace_bytes(job->max_points(), job->lut_entries());
  return bytes;
}

bool flagged_for_cpu(const BatchLayout& layout, const std::byte* pinned, std::size_t j) {
  return staged_counts(layout, pinned).status[j] != 0;
}

SecondPhases plan_second_phases(const std::vector<const DeviceJob*>& jobs,
                                const BatchLayout& layout, const BatchBuffers& buffers,
                                std::vector<DeviceProblem>& problems,
                                const FirstPhaseCounts* counts) {
  const std::size_t region = buffers.device_size - layout.device_bytes;
  SecondPhases phases;
  phases.for_cpu.assign(jobs.size(), false);
  phases.dp_waves.assign(1, 0);
  phases.first_pack_chunk.assign(jobs.size() + 1, 0);
  std::size_t used = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    phases.first_pack_chunk[j] = phases.pack_chunks.size();
    phases.for_cpu[j] = counts != nullptr && counts->status[j] != 0;
    if (phases.for_cpu[j])
      continue;
    const DeviceJob& job = *jobs[j];
    for (std::uint64_t b = 0; b < job.blocks(); ++b) {
      const std::size_t p = layout.jobs[j].first_problem + b;
      // The workspace only grows with the point count: the largest fits any count.
      const std::uint64_t points = counts != nullptr ? counts->point_counts[p] : job.max_points();
      const std::size_t bytes = dp_workspace_bytes(points, job.lut_entries());
      if (bytes > region) {  // cannot happen: the buffer holds the largest possible problem
        throw Error("DP workspace of " + std::to_string(bytes) + " bytes for " + job.request->name +
                    " exceeds the " + std::to_string(region) + " reserved");
      }
      if (used + bytes > region) {  // the workspace is full: the next problems wait a launch
        phases.dp_waves.push_back(phases.problem_ids.size());
        used = 0;
      }
      const numeric::DistinctPointsWorkspaceSize size =
          numeric::distinct_points_workspace_size(points, job.lut_entries());
      problems[p].dp_doubles = at<double>(buffers.device, layout.device_bytes + used);
      problems[p].dp_indices =
          at<std::uint32_t>(buffers.device, layout.device_bytes + used + aligned(size.doubles * 8));
      used += bytes;
      phases.problem_ids.push_back(static_cast<std::uint32_t>(p));
    }
    const std::uint64_t groups = (job.numel + 7) / 8;
    for (std::uint64_t first = 0; first < groups; first += kPackChunkGroups) {
      phases.pack_chunks.push_back(
          {static_cast<std::uint32_t>(j), first, std::min(kPackChunkGroups, groups - first)});
    }
  }
  phases.dp_waves.push_back(phases.problem_ids.size());
  phases.first_pack_chunk[jobs.size()] = phases.pack_chunks.size();
  std::copy(problems.begin(), problems.end(),
            at<DeviceProblem>(buffers.pinned, layout.problem_descriptors));
  std::copy(phases.problem_ids.begin(), phases.problem_ids.end(),
            at<std::uint32_t>(buffers.pinned, layout.problem_ids));
  std::copy(phases.pack_chunks.begin(), phases.pack_chunks.end(),
            at<PackChunk>(buffers.pinned, layout.pack_chunks));
  return phases;
}

std::vector<BufferCopy> extra_result_downloads(const DeviceJob& job, const JobPlacement& place) {
  if (!job.quantized_lut)
    return {};
  return {{place.lut_codes, place.staged_lut_codes, job.lut_code_bytes()},
          {place.lut_scale, place.staged_lut_scale, job.lut_scale_bytes()},
          {place.lut_zero_point, place.staged_lut_zero_point, job.lut_zero_point_bytes()}};
}

std::vector<BufferCopy> extra_uploads(const DeviceJob& job, const JobPlacement& place) {
  if (job.sensitivity.empty())
    return {};
  return {{place.sensitivity, place.staged_sensitivity, job.sensitivity_bytes()}};
}

PalettizeResult take_result(const std::vector<const DeviceJob*>& jobs, std::size_t j,
                            const BatchLayout& layout, const SecondPhases& phases,
                            const std::byte* pinned) {
  const DeviceJob& job = *jobs[j];
  const JobPlacement& place = layout.jobs[j];
  const auto bytes = [&](std::size_t offset, std::size_t count) {
    const auto* first = at<std::uint8_t>(pinned, offset);
    return std::vector<std::uint8_t>(first, first + count);
  };
  PalettizeResult result;
  result.palettized = true;
  palettize::set_part_shapes(*job.request, result);
  result.lut = bytes(place.staged_lut, job.lut_bytes());
  result.indices = bytes(place.staged_indices, job.numel);
  result.packed_indices = bytes(place.staged_packed, job.packed_bytes());
  if (job.scaled)
    result.scale = bytes(place.staged_scale, job.rows * job.element_bytes);
  if (job.quantized_lut) {  // the codes replace the LUT; the dequantized entries were measured
    result.lut = bytes(place.staged_lut_codes, job.lut_code_bytes());
    result.lut_scale = bytes(place.staged_lut_scale, job.lut_scale_bytes());
    result.lut_zero_point = bytes(place.staged_lut_zero_point, job.lut_zero_point_bytes());
  }
  // Chunk sums in chunk order: deterministic (the CPU sums per block, so the last bits may differ).
  const auto* sums = at<ErrorSums>(pinned, layout.staged_chunk_sums);
  for (std::size_t c = phases.first_pack_chunk[j]; c < phases.first_pack_chunk[j + 1]; ++c) {
    result.sse += sums[c].sse;
    result.weight_sq_norm += sums[c].sq_norm;
  }
  result.unique_path_blocks = job.all_values ? 0 : job.blocks();
  return result;
}

}  // namespace kmlut::cuda
