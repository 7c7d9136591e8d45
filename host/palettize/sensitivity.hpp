// Sensitivities: per-element importance weights (for example accumulated squared gradients) that
// weight the k-means objective (docs/architecture.md §5.5 step 6). They are preprocessed as
// coreai_opt does: divided by their maximum, zeros replaced by the smallest nonzero value, clipped
// to at least 1e-12; all zeros become all ones. The arithmetic is float32, as coreai_opt's torch
// tensors. Both backends cluster with these normalized values.
#pragma once

#include <string>
#include <vector>

#include "kmlut/palettize.hpp"

namespace kmlut::palettize {

inline constexpr float kSensitivityFloor = 1e-12f;

// Fills `normalized` (one float per element); returns why the sensitivities are unusable (a
// negative or non-finite value, an unsupported dtype), or an empty string.
std::string normalize_sensitivity(const TensorView& raw, std::vector<float>& normalized);

// The request's sensitivities, normalized, or empty without any; throws InputError naming the
// tensor when they do not fit the weight's shape or are unusable.
std::vector<float> normalized_sensitivity(const PalettizeRequest& request);

}  // namespace kmlut::palettize
