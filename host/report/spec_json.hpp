// The one JSON encoding of a resolved spec, in the config language's own field names (the schema
// of docs/config.md), shared by `kmlut plan --json`, the palettize report and `kmlut bench`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "config/config_tree.hpp"
#include "kmlut/spec.hpp"

namespace kmlut::reporting {

// null when the tensor has no spec (it is not palettized).
inline nlohmann::ordered_json spec_json(const std::optional<PalettizationSpec>& spec) {
  return spec ? detail::spec_to_tree(*spec) : nlohmann::ordered_json();
}

}  // namespace kmlut::reporting
