// From a plan job to a request, and from a request to its "kmlut.tensors" entry and part shapes.
#include "config/key_path.hpp"
#include "host/palettize/result_shapes.hpp"
#include "kmlut/error.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut {

using detail::json_quote;
namespace {

DType lut_dtype_of(const PalettizeRequest& request) {
  if (!request.spec.lut_qspec)
    return request.weight.dtype;
  return request.spec.lut_qspec->dtype == LutDType::Int8 ? DType::I8 : DType::U8;
}

}  // namespace

PalettizedTensorInfo describe_palettized(const PalettizeRequest& request) {
  const PartNames names = part_names(request.name);
  PalettizedTensorInfo info;
  info.name = request.name;
  info.shape = request.weight.shape;
  info.dtype = request.weight.dtype;
  info.n_bits = request.spec.n_bits;
  info.cluster_dim = request.spec.cluster_dim;
  if (request.spec.cluster_dim > 1)
    info.vector_axis = 0;
  if (request.spec.granularity.type == GranularityType::PerGroupedChannel) {
    info.group_axis = request.spec.granularity.axis.value_or(0);
    info.group_size = request.spec.granularity.group_size;
  }
  info.lut = names.lut;
  info.indices = names.indices;
  if (request.spec.enable_per_channel_scale)
    info.scale = names.scale;
  return info;
}

PalettizedShapes palettized_shapes(const PalettizeRequest& request) {
  return palettized_shapes(describe_palettized(request), lut_dtype_of(request), request.name);
}

PalettizeRequest make_palettize_request(const Job& job, const TensorView& weight,
                                        std::uint64_t seed) {
  if (!job.spec) {
    throw InputError("tensor " + json_quote(job.tensor) + ": the plan does not palettize it");
  }
  if (weight.dtype != job.dtype || weight.shape != job.shape) {
    throw InputError("tensor " + json_quote(job.tensor) + ": the data is " +
                     std::string(dtype_name(weight.dtype)) + " " + shape_text(weight.shape) +
                     ", the plan job is " + std::string(dtype_name(job.dtype)) + " " +
                     shape_text(job.shape));
  }
  PalettizeRequest request;
  request.name = job.tensor;
  request.weight = weight;
  request.spec = *job.spec;
  request.op_type = job.op_type;
  request.enable_fast_kmeans_mode = job.enable_fast_kmeans_mode;
  request.rounding_precision = job.rounding_precision;
  request.seed = seed;
  return request;
}

void palettize::set_part_shapes(const PalettizeRequest& request, PalettizeResult& result) {
  const PalettizedShapes shapes = palettized_shapes(request);
  result.lut_dtype = shapes.lut_dtype;
  result.lut_shape = shapes.lut_shape;
  result.num_luts = static_cast<std::size_t>(shapes.num_luts);
  result.index_shape = shapes.index_shape;
  result.scale_shape = shapes.scale_shape;
}

}  // namespace kmlut
