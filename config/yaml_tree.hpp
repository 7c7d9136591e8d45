// YAML text <-> document tree (nlohmann::ordered_json), so YAML configs go through the same schema
// code as JSON ones. Anchors, aliases and "<<" merge keys are resolved on the way in.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace kmlut::detail {

using Tree = nlohmann::ordered_json;

// Scalars follow the YAML 1.2 core schema; a quoted scalar is always a string. Duplicate keys,
// nesting deeper than 128 levels and documents of more than a million values (alias bombs) are
// errors. An empty document gives null. Throws ConfigError("<source>: <path>: <problem>").
Tree yaml_to_tree(std::string_view text, const std::string& source);

// Block-style YAML that yaml_to_tree reads back as an equal tree.
std::string tree_to_yaml(const Tree& tree);

}  // namespace kmlut::detail
