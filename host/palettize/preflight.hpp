// Whether a request can be palettized, decided before any clustering (docs/architecture.md,
// "Palettizing a tensor"): the part of preflight_skip_reason that backends also run themselves.
#pragma once

#include <string>

#include "kmlut/palettize.hpp"

namespace kmlut::palettize {

// Empty when the dtype, element count and rank allow palettizing, else the reason.
std::string unsupported_reason(const PalettizeRequest& request);

// Empty when every value is finite, else which element is not; reads the data.
std::string first_non_finite(const TensorView& weight);

}  // namespace kmlut::palettize
