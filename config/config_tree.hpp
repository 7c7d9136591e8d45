// Conversion between the config model and a JSON document tree (nlohmann::ordered_json, which keeps
// key order). JSON and YAML loading both go through it, so they share one schema and one set of
// error messages.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kmlut/config.hpp"
#include "kmlut/spec.hpp"

namespace kmlut::detail {

using Tree = nlohmann::ordered_json;

// `document` is the whole file: {"kmeans_palettization_config": ..., "palettization_spec": ...}.
// Throws ConfigError("<source>: <key path>: <problem>").
KMeansPalettizerConfig config_from_tree(const Tree& document, const std::string& source);

// The whole document, {"kmeans_palettization_config": {...}}.
Tree config_to_tree(const KMeansPalettizerConfig& config);

// One spec in the schema's own field names, validated; errors are rooted at "palettization_spec".
// Throws ConfigError("<source>: palettization_spec.<field>: <problem>").
PalettizationSpec spec_from_document(const Tree& spec, const std::string& source);

// One spec in the schema's own field names (used by `kmlut plan --json`).
Tree spec_to_tree(const PalettizationSpec& spec);

}  // namespace kmlut::detail
