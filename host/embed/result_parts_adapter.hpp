// TEMPORARY ADAPTER, the only place the embedding layer restates the kmlut v1 part layout: the
// format's own codec (palettized_output in include/kmlut/, from the embedder-API work) replaces
// these two functions when it lands.
#pragma once

#include <cstdint>
#include <vector>

#include "kmlut/format.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut::embed {

// The "kmlut.tensors" entry `kmlut palettize` writes for this request.
PalettizedTensorInfo palettized_tensor_info(const PalettizeRequest& request);

// N.lut_scale and N.lut_zero_point are one value per LUT.
std::vector<std::int64_t> per_lut_shape(const PalettizeResult& result);

}  // namespace kmlut::embed
