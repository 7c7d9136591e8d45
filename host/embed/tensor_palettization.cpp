#include "host/embed/tensor_palettization.hpp"

#include <memory>

#include "host/embed/result_parts_adapter.hpp"
#include "kmlut/decode.hpp"
#include "kmlut/error.hpp"
#include "kmlut/plan.hpp"

namespace kmlut::embed {
namespace {

// The name an in-memory tensor goes by in messages and in its (unwritten) part names.
constexpr const char* kTensorName = "tensor";

ByteView view(const std::vector<std::uint8_t>& bytes) {
  return {bytes.data(), bytes.size()};
}

void set_part(TensorPalettization& out, PartKind kind, DType dtype, std::vector<std::int64_t> shape,
              const std::vector<std::uint8_t>& bytes) {
  out.parts[static_cast<std::size_t>(kind)] = Part{dtype, std::move(shape), view(bytes)};
}

// The stored parts, shaped as `kmlut palettize` writes them.
void describe_parts(TensorPalettization& out) {
  const PalettizeResult& result = out.result;
  if (!result.palettized)
    return;
  set_part(out, PartKind::Lut, result.lut_dtype, result.lut_shape, result.lut);
  set_part(out, PartKind::PackedIndices, DType::U8,
           {static_cast<std::int64_t>(result.packed_indices.size())}, result.packed_indices);
  set_part(out, PartKind::Indices, DType::U8, result.index_shape, result.indices);
  if (!result.scale.empty())
    set_part(out, PartKind::Scale, out.request.weight.dtype, result.scale_shape, result.scale);
  if (!result.lut_scale.empty()) {
    set_part(out, PartKind::LutScale, DType::F32, per_lut_shape(result), result.lut_scale);
    set_part(out, PartKind::LutZeroPoint, result.lut_dtype, per_lut_shape(result),
             result.lut_zero_point);
  }
}

StoredTensor stored(const Part* part, TensorInfo& info) {
  if (!part)
    return {};
  info.dtype = part->dtype;
  info.shape = part->shape;
  return {&info, part->bytes};
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
  const PalettizedTensorInfo info = palettized_tensor_info(request);
  TensorInfo lut, indices, scale, lut_scale, lut_zero_point;
  PalettizedParts stored_parts;
  stored_parts.lut = stored(part(PartKind::Lut), lut);
  stored_parts.indices = stored(part(PartKind::PackedIndices), indices);
  stored_parts.scale = stored(part(PartKind::Scale), scale);
  stored_parts.lut_scale = stored(part(PartKind::LutScale), lut_scale);
  stored_parts.lut_zero_point = stored(part(PartKind::LutZeroPoint), lut_zero_point);
  return reconstruct_palettized(info, stored_parts, "<memory>");
}

TensorPalettization palettize_tensor(const TensorView& weight, const PalettizationSpec& spec,
                                     const TensorOptions& options) {
  if (options.threads < 0)
    throw ConfigError("threads: expected 0 (all cores) or more, got " +
                      std::to_string(options.threads));
  if (options.rounding_precision <= 0)
    throw ConfigError("rounding_precision: must be > 0, got " +
                      std::to_string(options.rounding_precision));
  TensorPalettization out;
  PalettizeRequest& request = out.request;
  request.name = kTensorName;
  request.weight = weight;
  request.spec = spec;
  if (request.spec.granularity.type == GranularityType::PerGroupedChannel &&
      !request.spec.granularity.axis) {
    request.spec.granularity.axis = default_axis_for_op(options.op_type);
  }
  request.op_type = options.op_type;
  request.enable_fast_kmeans_mode = options.fast_mode;
  request.rounding_precision = options.rounding_precision;
  request.seed = options.seed;
  request.sensitivity = options.sensitivity;
  // The same check a checkpoint's tensors pass before clustering, values included.
  out.result.skip_reason = preflight_skip_reason(request, /*check_values=*/true);
  if (!out.result.skip_reason.empty())
    return out;
  std::unique_ptr<Backend> backend = make_backend(options.backend, options.threads);
  out.result = backend->run(request);
  describe_parts(out);
  return out;
}

}  // namespace kmlut::embed
