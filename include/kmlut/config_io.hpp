// Loading and saving KMeansPalettizerConfig as JSON or YAML, in the coreai_opt schema
// {"kmeans_palettization_config": {...}, "palettization_spec": ...}.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "kmlut/config.hpp"

namespace kmlut {

// Parse and validate. `source` names the text in error messages (a file name, "<string>").
// Throws ConfigError with "<source>: <key path>: <problem>".
KMeansPalettizerConfig config_from_json(std::string_view text,
                                        const std::string& source = "<json>");
KMeansPalettizerConfig config_from_yaml(std::string_view text,
                                        const std::string& source = "<yaml>");

// One PalettizationSpec as JSON in the schema's own field names ({"n_bits": 4, "granularity":
// {...}, ...}; absent fields take their defaults), validated. Throws ConfigError.
PalettizationSpec spec_from_json(std::string_view text, const std::string& source = "<json>");

// Reads a .json, .yaml or .yml file (chosen by extension). Throws ConfigError.
KMeansPalettizerConfig load_config(const std::filesystem::path& path);

std::string config_to_json(const KMeansPalettizerConfig& config, int indent = 2);
std::string config_to_yaml(const KMeansPalettizerConfig& config);

// Writes JSON or YAML by extension. Throws Error on an IO failure.
void save_config(const KMeansPalettizerConfig& config, const std::filesystem::path& path);

}  // namespace kmlut
