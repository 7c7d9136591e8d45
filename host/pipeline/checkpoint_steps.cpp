#include "host/pipeline/checkpoint_steps.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "config/key_path.hpp"
#include "host/pipeline/available_memory.hpp"
#include "kmlut/error.hpp"
#include "kmlut/format.hpp"

namespace kmlut::pipeline {

using detail::json_quote;
namespace {

constexpr std::uint64_t kMinimumBudget = std::uint64_t{256} << 20;

std::uint64_t working_bytes(const PalettizeRequest& request) {
  // The input (possibly scaled), one index byte per element, the packed indices and the LUTs;
  // with sensitivities, the mapped tensor and its normalized float32 copy; for vectors, the
  // float32 points and the k-means state per vector.
  const std::uint64_t numel = request.weight.numel();
  std::uint64_t bytes = numel * dtype_bits(request.weight.dtype) / 8 * 2 + numel * 2;
  if (request.sensitivity.data != nullptr)
    bytes += numel * (dtype_bits(request.sensitivity.dtype) / 8 + 4);
  if (request.spec.cluster_dim > 1)
    bytes += numel * 4 + numel / static_cast<std::uint64_t>(request.spec.cluster_dim) * 24;
  return bytes;
}

// The tensor of the same name in the sensitivities checkpoint, checked against the weight.
void attach_sensitivity(const Checkpoint& sensitivities, Selected& selected) {
  const std::string& name = selected.request.name;
  const Checkpoint::TensorRef* ref = sensitivities.find(name);
  const std::string source = sensitivities.source().string();
  if (ref == nullptr) {
    throw InputError(source + ": no sensitivity tensor " + json_quote(name) +
                     " (every palettized tensor needs one)");
  }
  const TensorInfo& info = *ref->info;
  if (info.shape != selected.request.weight.shape) {
    throw InputError(source + ": sensitivity tensor " + json_quote(name) + " has shape " +
                     shape_text(info.shape) + ", the weight has shape " +
                     shape_text(selected.request.weight.shape));
  }
  if (!is_palettizable_dtype(info.dtype)) {
    throw InputError(source + ": sensitivity tensor " + json_quote(name) + " is " +
                     std::string(dtype_name(info.dtype)) + "; expected F16, BF16, F32 or F64");
  }
  selected.request.sensitivity = {info.dtype, info.shape, sensitivities.data(*ref).data};
  selected.sensitivity = ref;
}

}  // namespace

void check_plan_matches(const Checkpoint& input, const Plan& plan) {
  if (plan.jobs.size() != input.tensors().size()) {
    throw Error("the plan has " + std::to_string(plan.jobs.size()) + " jobs for " +
                std::to_string(input.tensors().size()) +
                " tensors: resolve the plan for this checkpoint");
  }
  for (std::size_t i = 0; i < plan.jobs.size(); ++i) {
    const std::string& name = input.tensors()[i].info->name;
    if (name != plan.jobs[i].tensor) {
      throw Error("plan job " + std::to_string(i) + " is tensor " + plan.jobs[i].tensor +
                  " where the checkpoint has " + name + ": resolve the plan for this checkpoint");
    }
  }
}

TensorReport initial_row(const Job& job, const Checkpoint::TensorRef& ref) {
  TensorReport row{job.tensor,
                   job.shape,
                   job.dtype,
                   TensorStatus::Copied,
                   job.decided_by,
                   job.spec,
                   job.enable_fast_kmeans_mode};
  row.bytes_in = row.bytes_out = ref.info->nbytes();
  return row;
}

std::optional<Selected> preflight(const Checkpoint& input, const Job& job,
                                  const Checkpoint::TensorRef& ref, std::size_t row_index,
                                  const PipelineOptions& options, TensorReport& row) {
  Selected selected;
  selected.request =
      make_palettize_request(job, {job.dtype, job.shape, input.data(ref).data}, options.seed);
  selected.report = row_index;
  selected.ref = ref;
  const std::string reason = preflight_skip_reason(selected.request, /*check_values=*/true);
  input.release(ref);  // the values were read once for the check; keep memory flat
  if (reason.empty()) {
    selected.request.values_checked = true;
    if (options.sensitivities != nullptr)
      attach_sensitivity(*options.sensitivities, selected);
    row.status = TensorStatus::Palettized;
    row.reason.clear();
    return selected;
  }
  if (options.strict)
    throw Error("tensor " + job.tensor + " cannot be palettized (--strict): " + reason);
  row.status = TensorStatus::Skipped;
  row.reason = reason;
  return std::nullopt;
}

std::vector<ShardContents> mirrored_layout(
    const Checkpoint& input,
    const std::unordered_map<std::string, const PalettizeRequest*>& palettized) {
  std::vector<ShardContents> shards = CheckpointWriter::mirror_shards(input);
  std::vector<std::vector<PalettizedTensorInfo>> described(shards.size());
  for (const Checkpoint::TensorRef& ref : input.tensors()) {
    std::vector<OutputTensor>& tensors = shards[ref.shard].tensors;
    auto it = palettized.find(ref.info->name);
    if (it == palettized.end()) {
      tensors.push_back({ref.info->name, ref.info->dtype, ref.info->shape});
      continue;
    }
    const PalettizeRequest& request = *it->second;
    const PalettizedTensorInfo info = describe_palettized(request);
    for (OutputTensor& part : palettized_parts(info, palettized_shapes(request)))
      tensors.push_back(std::move(part));
    described[ref.shard].push_back(info);
  }
  for (std::size_t shard = 0; shard < shards.size(); ++shard)
    shards[shard].metadata = kmlut_metadata(described[shard]);
  return shards;
}

std::uint64_t effective_budget(const PipelineOptions& options) {
  if (options.memory_budget != 0)
    return options.memory_budget;
  return std::max(kMinimumBudget, available_memory() / 4);
}

std::size_t batch_end(const std::vector<const PalettizeRequest*>& requests, std::size_t begin,
                      std::uint64_t budget) {
  std::size_t end = begin;
  std::uint64_t bytes = 0;
  while (end < requests.size() &&
         (end == begin || bytes + working_bytes(*requests[end]) <= budget / 2)) {
    bytes += working_bytes(*requests[end]);
    ++end;
  }
  return end;
}

void record_result(const PalettizeRequest& request, const PalettizeResult& result, double seconds,
                   TensorReport& row) {
  if (!result.palettized) {
    throw Error("tensor " + request.name +
                " passed preflight but the backend skipped it: " + result.skip_reason);
  }
  row.num_luts = result.num_luts;
  row.bytes_out = result.lut.size() + result.packed_indices.size() + result.scale.size() +
                  result.lut_scale.size() + result.lut_zero_point.size();
  row.lloyd_iterations = result.lloyd_iterations;
  row.sse = result.sse;
  row.rel_error = result.weight_sq_norm > 0 ? std::sqrt(result.sse / result.weight_sq_norm) : 0.0;
  row.seconds = seconds;
}

double batch_share(double batch_seconds, std::uint64_t numel, std::uint64_t batch_numel) {
  return batch_seconds * static_cast<double>(numel) /
         static_cast<double>(std::max<std::uint64_t>(batch_numel, 1));
}

}  // namespace kmlut::pipeline
