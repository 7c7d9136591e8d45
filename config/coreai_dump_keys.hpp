// The keys coreai_opt 0.3.0's to_dict() emits beyond what post-training k-means uses: training-only
// keys (accepted, listed as ignored with the reason) and the fields of its generic
// QuantizationSpec on a lut_qspec (accepted at the values kmlut computes with, an error naming
// the key otherwise). docs/config.md, "Keys of coreai_opt's dumps", lists each key.
#pragma once

#include <string>
#include <vector>

#include "config/config_tree.hpp"
#include "kmlut/spec.hpp"

namespace kmlut::detail {

// An activation spec (op_input_spec, ...) of a weight-only config: null, {} or only null entries
// (coreai_opt's own dump writes {"*": null}).
bool is_empty_activation_spec(const Tree& value);

// Throws ConfigError naming the key when a lut_qspec field other than dtype/qscheme holds a value
// that would change the post-training result (kmlut computes with coreai_opt's defaults).
void check_lut_qspec_dump_keys(const Tree& qspec, const std::string& path, LutDType dtype);

// "<key path>: <reason>" for every training-only key in the palettizer config `root`.
std::vector<std::string> ignored_training_keys(const Tree& root, const std::string& path);

// "int8" or "torch.int8" (a to_dict() dump with torch dtypes written by str()) -> "int8".
std::string without_torch_prefix(const std::string& dtype);

}  // namespace kmlut::detail
