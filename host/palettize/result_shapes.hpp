// The shapes a backend's result carries, taken from the format codec so that every backend sizes
// its parts by the one rule the reader checks them against (kmlut/format.hpp).
#pragma once

#include "kmlut/palettize.hpp"

namespace kmlut::palettize {

// Sets result.lut_dtype, lut_shape, num_luts, index_shape and, with per-channel scale,
// scale_shape for a request that passed preflight.
void set_part_shapes(const PalettizeRequest& request, PalettizeResult& result);

}  // namespace kmlut::palettize
