// The config classes: defaults, equality, the chainable builder helpers and validation
// (coreai_opt's KMeansPalettizerConfig and its module and op configs, docs/architecture.md §5.2).
#include "kmlut/config.hpp"

#include <string>
#include <utility>

#include "config/key_path.hpp"
#include "config/regex.hpp"
#include "kmlut/error.hpp"

namespace kmlut {
namespace {

using detail::child_path;
using detail::json_quote;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw ConfigError(path + ": " + problem);
}

void validate_state_specs(const StateSpecMap& specs, const std::string& path) {
  for (const auto& [state, spec] : specs) {
    if (spec)
      spec->validate(child_path(path, state));
  }
}

std::string op_type_list() {
  std::string list;
  for (const auto& type : supported_op_types())
    list += type + ", ";
  return list + "or aten.<name>.default of these";
}

// Keys are stored in the short form, so resolution can compare them exactly; the loaders
// normalise aten spellings before validating.
void validate_op_type_key(const std::string& key, const std::string& path) {
  const auto normalized = normalize_op_type(key);
  if (!normalized) {
    fail(path, "unknown op type " + json_quote(key) + " (expected one of: " + op_type_list() + ")");
  }
  if (*normalized != key) {
    fail(path, "op type keys are stored in the short form, write " + json_quote(*normalized));
  }
}

void validate_op_configs(const OrderedMap<OpKMeansPalettizerConfig>& configs,
                         const std::string& path, bool keys_are_regexes) {
  for (const auto& [key, config] : configs) {
    const std::string entry = child_path(path, key);
    if (keys_are_regexes) {
      detail::FullMatchRegex::compile(key, entry);
    } else {
      validate_op_type_key(key, entry);
    }
    config.validate(entry);
  }
}

// coreai_opt checks only op_state_spec here; the vector path ignores fast mode at run time.
void validate_fast_mode(const ModuleKMeansPalettizerConfig& config, const std::string& path) {
  if (!config.enable_fast_kmeans_mode)
    return;
  for (const auto& [state, spec] : config.op_state_spec) {
    if (spec && spec->cluster_dim > 1) {
      fail(child_path(path + ".op_state_spec", state) + ".cluster_dim",
           std::to_string(spec->cluster_dim) + " requires enable_fast_kmeans_mode: false");
    }
  }
}

void validate_module_type_configs(const OrderedMap<ModuleKMeansPalettizerConfig>& configs,
                                  const std::string& path) {
  for (const auto& [type, config] : configs) {
    const std::string entry = child_path(path, type);
    if (type.find('.') == std::string::npos) {
      fail(entry, "module type must be fully qualified, e.g. \"torch.nn.modules.linear.Linear\"");
    }
    config.validate(entry);
  }
}

void validate_module_name_configs(const OrderedMap<ModuleKMeansPalettizerConfig>& configs,
                                  const std::string& path) {
  for (const auto& [pattern, config] : configs) {
    const std::string entry = child_path(path, pattern);
    detail::FullMatchRegex::compile(pattern, entry);
    config.validate(entry);
  }
}

void set_target(KMeansPalettizerConfig& config, const ModuleTarget& target,
                const ModuleKMeansPalettizerConfig& module) {
  if (target.kind == ModuleTarget::Kind::Type) {
    config.set_module_type(target.key, module);
  } else {
    config.set_module_name(target.key, module);
  }
}

}  // namespace

StateSpecMap default_op_state_spec() {
  const PalettizationSpec spec = default_weight_palettization_spec();
  return {{"weight", spec}, {"in_proj_weight", spec}};
}

const std::vector<std::string>& supported_op_types() {
  static const std::vector<std::string> types = {
      "linear",           "conv1d",           "conv2d",           "conv3d",
      "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "multi_head_attention_forward"};
  return types;
}

std::optional<std::string> normalize_op_type(const std::string& key) {
  for (const auto& type : supported_op_types()) {
    if (key == type || key == "aten." + type + ".default")
      return type;
  }
  return std::nullopt;
}

void OpKMeansPalettizerConfig::validate(const std::string& path) const {
  validate_state_specs(op_state_spec, path + ".op_state_spec");
}

ModuleKMeansPalettizerConfig ModuleKMeansPalettizerConfig::disabled() {
  ModuleKMeansPalettizerConfig config;
  config.op_state_spec = {};
  return config;
}

bool ModuleKMeansPalettizerConfig::is_disabled() const {
  return *this == disabled();
}

bool operator==(const ModuleKMeansPalettizerConfig& a, const ModuleKMeansPalettizerConfig& b) {
  return a.op_state_spec == b.op_state_spec && a.op_type_config == b.op_type_config &&
         a.op_name_config == b.op_name_config && a.module_state_spec == b.module_state_spec &&
         a.enable_fast_kmeans_mode == b.enable_fast_kmeans_mode &&
         a.rounding_precision == b.rounding_precision;
}

void ModuleKMeansPalettizerConfig::validate(const std::string& path) const {
  validate_state_specs(op_state_spec, path + ".op_state_spec");
  validate_fast_mode(*this, path);
  validate_op_configs(op_type_config, path + ".op_type_config", false);
  validate_op_configs(op_name_config, path + ".op_name_config", true);
  validate_state_specs(module_state_spec, path + ".module_state_spec");
  if (rounding_precision <= 0) {
    fail(path + ".rounding_precision", "must be > 0, got " + std::to_string(rounding_precision));
  }
}

KMeansPalettizerConfig& KMeansPalettizerConfig::set_global(
    std::optional<ModuleKMeansPalettizerConfig> config) {
  global_config = config ? std::move(*config) : ModuleKMeansPalettizerConfig::disabled();
  return *this;
}

KMeansPalettizerConfig& KMeansPalettizerConfig::set_module_type(
    const std::string& fqn, std::optional<ModuleKMeansPalettizerConfig> config) {
  module_type_configs.insert_or_assign(
      fqn, config ? std::move(*config) : ModuleKMeansPalettizerConfig::disabled());
  return *this;
}

KMeansPalettizerConfig& KMeansPalettizerConfig::set_module_name(
    const std::string& pattern, std::optional<ModuleKMeansPalettizerConfig> config) {
  module_name_configs.insert_or_assign(
      pattern, config ? std::move(*config) : ModuleKMeansPalettizerConfig::disabled());
  return *this;
}

KMeansPalettizerConfig& KMeansPalettizerConfig::only_for(const std::vector<ModuleTarget>& targets) {
  const ModuleKMeansPalettizerConfig former_global = global_config;
  for (const auto& target : targets)
    set_target(*this, target, former_global);
  return set_global(std::nullopt);
}

KMeansPalettizerConfig& KMeansPalettizerConfig::without(const std::vector<ModuleTarget>& targets) {
  for (const auto& target : targets) {
    set_target(*this, target, ModuleKMeansPalettizerConfig::disabled());
  }
  return *this;
}

void KMeansPalettizerConfig::validate() const {
  const std::string global_path = std::string(detail::kConfigRoot) + ".global_config";
  if (!global_config.module_state_spec.empty()) {
    fail(global_path + ".module_state_spec",
         "not allowed on global_config (use module_type_configs or module_name_configs)");
  }
  global_config.validate(global_path);
  validate_module_type_configs(module_type_configs,
                               std::string(detail::kConfigRoot) + ".module_type_configs");
  validate_module_name_configs(module_name_configs,
                               std::string(detail::kConfigRoot) + ".module_name_configs");
}

}  // namespace kmlut
