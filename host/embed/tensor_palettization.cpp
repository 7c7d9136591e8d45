#include "host/embed/tensor_palettization.hpp"

#include <memory>

#include "kmlut/decode.hpp"
#include "kmlut/error.hpp"
#include "kmlut/format.hpp"
#include "kmlut/palettized_output.hpp"
#include "kmlut/plan.hpp"

namespace kmlut::embed {
namespace {

ByteView view(const std::vector<std::uint8_t>& bytes) {
  return {bytes.data(), bytes.size()};
}

void set_part(TensorPalettization& out, PartKind kind, const OutputTensor& tensor, ByteView bytes) {
  out.parts[static_cast<std::size_t>(kind)] = Part{tensor.dtype, tensor.shape, bytes};
}

// The stored parts as `kmlut palettize` writes them (the format codec's palettized_output), and
// the unpacked indices beside them.
void describe_parts(TensorPalettization& out) {
  const PalettizeResult& result = out.result;
  if (!result.palettized)
    return;
  const PalettizedOutput output = palettized_output(out.request, result);
  const PartNames names = part_names(out.request.name);
  const std::pair<const std::string*, PartKind> kinds[] = {
      {&names.lut, PartKind::Lut},
      {&names.indices, PartKind::PackedIndices},
      {&names.scale, PartKind::Scale},
      {&names.lut_scale, PartKind::LutScale},
      {&names.lut_zero_point, PartKind::LutZeroPoint}};
  for (const PartBytes& part : output.parts) {
    for (const auto& [name, kind] : kinds) {
      if (part.tensor.name == *name)
        set_part(out, kind, part.tensor, part.bytes);
    }
  }
  set_part(out, PartKind::Indices, {names.indices, DType::U8, result.index_shape},
           view(result.indices));
}

StoredTensor stored(const Part* part, TensorInfo& info) {
  if (!part)
    return {};
  info.dtype = part->dtype;
  info.shape = part->shape;
  return {&info, part->bytes};
}

PalettizeRequest palettize_request(const TensorRequest& tensor) {
  const ClusterOptions& cluster = tensor.cluster;
  if (cluster.rounding_precision <= 0) {
    throw ConfigError("rounding_precision: must be > 0, got " +
                      std::to_string(cluster.rounding_precision));
  }
  // The config's rule for one tensor: vector k-means has no fast mode (docs/config.md).
  if (tensor.spec.cluster_dim > 1 && cluster.fast_mode) {
    throw ConfigError(tensor.name + ": cluster_dim " + std::to_string(tensor.spec.cluster_dim) +
                      " requires enable_fast_kmeans_mode: false");
  }
  // A plan job for this one tensor, so that the request is built as the pipeline builds it.
  Job job;
  job.tensor = tensor.name;
  job.dtype = tensor.weight.dtype;
  job.shape = tensor.weight.shape;
  job.op_type = cluster.op_type;
  job.spec = tensor.spec;
  if (job.spec->granularity.type == GranularityType::PerGroupedChannel &&
      !job.spec->granularity.axis) {
    job.spec->granularity.axis = default_axis_for_op(cluster.op_type);
  }
  job.enable_fast_kmeans_mode = cluster.fast_mode;
  job.rounding_precision = cluster.rounding_precision;
  PalettizeRequest request = make_palettize_request(job, tensor.weight, cluster.seed);
  request.sensitivity = cluster.sensitivity;
  return request;
}

}  // namespace

const Part* TensorPalettization::part(PartKind kind) const {
  const std::optional<Part>& found = parts[static_cast<std::size_t>(kind)];
  return found ? &*found : nullptr;
}

std::vector<std::uint8_t> TensorPalettization::dense() const {
  if (!result.palettized) {
    const auto* bytes = static_cast<const std::uint8_t*>(request.weight.data);
    return {bytes, bytes + request.weight.numel() * dtype_bits(request.weight.dtype) / 8};
  }
  const PalettizedTensorInfo info = describe_palettized(request);
  TensorInfo lut, indices, scale, lut_scale, lut_zero_point;
  PalettizedParts stored_parts;
  stored_parts.lut = stored(part(PartKind::Lut), lut);
  stored_parts.indices = stored(part(PartKind::PackedIndices), indices);
  stored_parts.scale = stored(part(PartKind::Scale), scale);
  stored_parts.lut_scale = stored(part(PartKind::LutScale), lut_scale);
  stored_parts.lut_zero_point = stored(part(PartKind::LutZeroPoint), lut_zero_point);
  return reconstruct_palettized(info, stored_parts, "<memory>");
}

std::vector<TensorPalettization> palettize_tensors(const std::vector<TensorRequest>& requests,
                                                   const RunOptions& run) {
  if (run.threads < 0)
    throw ConfigError("threads: expected 0 (all cores) or more, got " +
                      std::to_string(run.threads));
  std::vector<TensorPalettization> out(requests.size());
  std::vector<PalettizeRequest> to_run;
  std::vector<std::size_t> ran;  // index into out of each entry of to_run
  for (std::size_t i = 0; i < requests.size(); ++i) {
    out[i].request = palettize_request(requests[i]);
    // The same check a checkpoint's tensors pass before clustering, values included.
    out[i].result.skip_reason = preflight_skip_reason(out[i].request, /*check_values=*/true);
    if (out[i].result.skip_reason.empty()) {
      out[i].request.values_checked = true;
      to_run.push_back(out[i].request);
      ran.push_back(i);
    }
  }
  if (to_run.empty())
    return out;
  std::vector<PalettizeResult> results = make_backend(run.backend, run.threads)->run_batch(to_run);
  for (std::size_t k = 0; k < ran.size(); ++k) {
    out[ran[k]].result = std::move(results[k]);
    describe_parts(out[ran[k]]);
  }
  return out;
}

TensorPalettization palettize_tensor(const TensorRequest& request, const RunOptions& run) {
  return std::move(palettize_tensors({request}, run).front());
}

}  // namespace kmlut::embed
