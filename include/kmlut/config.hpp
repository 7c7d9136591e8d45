// The coreai_opt KMeansPalettizerConfig model: which tensors of which modules and ops are
// palettized with which spec. Semantics: DESIGN §3.2 and docs/config.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kmlut/ordered_map.hpp"
#include "kmlut/spec.hpp"

namespace kmlut {

// state name (or "*") -> spec; a nullopt value means "matched, do not palettize".
using StateSpecMap = OrderedMap<std::optional<PalettizationSpec>>;

// {"weight": default, "in_proj_weight": default}: what an omitted op_state_spec means.
StateSpecMap default_op_state_spec();

struct OpKMeansPalettizerConfig final {
  StateSpecMap op_state_spec = default_op_state_spec();

  // A config that palettizes nothing (what a null entry in a config dictionary stands for).
  static OpKMeansPalettizerConfig disabled() { return {StateSpecMap{}}; }

  void validate(const std::string& path) const;

  friend bool operator==(const OpKMeansPalettizerConfig& a, const OpKMeansPalettizerConfig& b) {
    return a.op_state_spec == b.op_state_spec;
  }
  friend bool operator!=(const OpKMeansPalettizerConfig& a, const OpKMeansPalettizerConfig& b) {
    return !(a == b);
  }
};

struct ModuleKMeansPalettizerConfig final {
  StateSpecMap op_state_spec = default_op_state_spec();
  OrderedMap<OpKMeansPalettizerConfig> op_type_config;  // keys: short op types, e.g. "linear"
  OrderedMap<OpKMeansPalettizerConfig> op_name_config;  // keys: full-match regexes on op names
  StateSpecMap module_state_spec;
  bool enable_fast_kmeans_mode = true;
  int rounding_precision = 4;

  static ModuleKMeansPalettizerConfig disabled();
  bool is_disabled() const;

  // Presets: "weight" and "in_proj_weight" get n_bits 4/6 per_grouped_channel, or 8 per-tensor.
  static ModuleKMeansPalettizerConfig w4(std::optional<int> axis = 0, std::int64_t group_size = 16);
  static ModuleKMeansPalettizerConfig w6(std::optional<int> axis = 0, std::int64_t group_size = 16);
  static ModuleKMeansPalettizerConfig w8();

  void validate(const std::string& path) const;

  friend bool operator==(const ModuleKMeansPalettizerConfig& a,
                         const ModuleKMeansPalettizerConfig& b);
  friend bool operator!=(const ModuleKMeansPalettizerConfig& a,
                         const ModuleKMeansPalettizerConfig& b) {
    return !(a == b);
  }
};

// A target of only_for / without: a module type (fully qualified) or a module name pattern.
struct ModuleTarget final {
  enum class Kind : std::uint8_t { Type, Name };
  Kind kind;
  std::string key;

  static ModuleTarget type(std::string fqn) { return {Kind::Type, std::move(fqn)}; }
  static ModuleTarget name(std::string pattern) { return {Kind::Name, std::move(pattern)}; }
};

struct KMeansPalettizerConfig final {
  ModuleKMeansPalettizerConfig global_config;
  OrderedMap<ModuleKMeansPalettizerConfig> module_type_configs;
  OrderedMap<ModuleKMeansPalettizerConfig> module_name_configs;
  // Loaded from a document: "<key path>: <reason>" for each training-only key it held (coreai_opt's
  // pat_schedule, training_strategy_spec, ...), accepted and without effect here. Not part of ==.
  std::vector<std::string> ignored_keys;

  // Presets: the module presets above as global_config.
  static KMeansPalettizerConfig w4(std::optional<int> axis = 0, std::int64_t group_size = 16);
  static KMeansPalettizerConfig w6(std::optional<int> axis = 0, std::int64_t group_size = 16);
  static KMeansPalettizerConfig w8();
  // Looks a preset up by name ("w4", "w6", "w8"); throws ConfigError for any other name.
  static KMeansPalettizerConfig preset(const std::string& name);

  // Builder helpers (chainable). nullopt disables the target.
  KMeansPalettizerConfig& set_global(std::optional<ModuleKMeansPalettizerConfig> config);
  KMeansPalettizerConfig& set_module_type(const std::string& fqn,
                                          std::optional<ModuleKMeansPalettizerConfig> config);
  KMeansPalettizerConfig& set_module_name(const std::string& pattern,
                                          std::optional<ModuleKMeansPalettizerConfig> config);
  // Disables the global config and applies the former global config to the targets only.
  KMeansPalettizerConfig& only_for(const std::vector<ModuleTarget>& targets);
  // Disables palettization for the targets.
  KMeansPalettizerConfig& without(const std::vector<ModuleTarget>& targets);

  // Checks every rule of DESIGN §3.1–3.2; throws ConfigError naming the full key path, rooted at
  // "kmeans_palettization_config".
  void validate() const;

  friend bool operator==(const KMeansPalettizerConfig& a, const KMeansPalettizerConfig& b) {
    return a.global_config == b.global_config && a.module_type_configs == b.module_type_configs &&
           a.module_name_configs == b.module_name_configs;
  }
  friend bool operator!=(const KMeansPalettizerConfig& a, const KMeansPalettizerConfig& b) {
    return !(a == b);
  }
};

// Normalises an op type key to the short registry form: "aten.linear.default" -> "linear".
// Returns nullopt when the key names no supported op type.
std::optional<std::string> normalize_op_type(const std::string& key);

// The supported op types, short form, in a stable order.
const std::vector<std::string>& supported_op_types();

}  // namespace kmlut
