#include "host/embed/result_parts_adapter.hpp"

namespace kmlut::embed {

PalettizedTensorInfo palettized_tensor_info(const PalettizeRequest& request) {
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
  info.lut = request.name + ".lut";
  info.indices = request.name + ".indices";
  if (request.spec.enable_per_channel_scale)
    info.scale = request.name + ".scale";
  return info;
}

std::vector<std::int64_t> per_lut_shape(const PalettizeResult& result) {
  return {static_cast<std::int64_t>(result.num_luts)};
}

}  // namespace kmlut::embed
