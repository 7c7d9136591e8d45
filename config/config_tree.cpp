// Config model <-> document tree. Loading checks the tree's shape (types, unknown and missing
// keys) and applies coreai_opt's absent-vs-null defaults; the value rules are left to validate(),
// so a loaded config and a programmatically built one get the same messages.
#include "config/config_tree.hpp"

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include "config/coreai_dump_keys.hpp"
#include "config/key_path.hpp"
#include "kmlut/error.hpp"

namespace kmlut::detail {
namespace {

using Keys = std::initializer_list<const char*>;

// coreai_opt's dumps carry these keys of its generic compression configs; palettization is
// weight-only, so they are accepted only when empty.
constexpr const char* kOpActivationKeys[] = {"op_input_spec", "op_output_spec"};
constexpr const char* kModuleActivationKeys[] = {"module_input_spec", "module_output_spec"};

const Keys kDocumentKeys = {"kmeans_palettization_config", "palettization_spec"};
const Keys kConfigKeys = {"global_config", "module_type_configs", "module_name_configs"};
const Keys kModuleKeys = {"op_state_spec",      "op_input_spec",      "op_output_spec",
                          "op_type_config",     "op_name_config",     "module_state_spec",
                          "module_input_spec",  "module_output_spec", "enable_fast_kmeans_mode",
                          "rounding_precision", "pat_schedule"};
const Keys kOpKeys = {"op_state_spec", "op_input_spec", "op_output_spec"};
const Keys kSpecKeys = {"n_bits",      "granularity",
                        "cluster_dim", "enable_per_channel_scale",
                        "lut_qspec",   "training_strategy_spec"};
const Keys kPerTensorKeys = {"type", "axis"};
const Keys kPerGroupedChannelKeys = {"type", "axis", "group_size"};
// dtype and qscheme, then the rest of coreai_opt's QuantizationSpec dump (coreai_dump_keys.hpp).
const Keys kLutQSpecKeys = {"dtype",
                            "qscheme",
                            "qformulation",
                            "granularity",
                            "fake_quantize_cls",
                            "qparam_calculator_cls",
                            "range_calculator_cls",
                            "float_range",
                            "scale_dtype",
                            "n_bits",
                            "target_dtype",
                            "quant_min",
                            "quant_max",
                            "_quant_range"};

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw ConfigError(path.empty() ? problem : path + ": " + problem);
}

// How a value is shown after "got": scalars as JSON, containers by kind (they can be huge).
std::string describe(const Tree& value) {
  if (value.is_object())
    return "an object";
  if (value.is_array())
    return "an array";
  if (value.is_number_float() && !std::isfinite(value.get<double>()))
    return "a non-finite number";
  constexpr std::size_t kMaxShown = 80;
  std::string shown = value.dump(-1, ' ', false, Tree::error_handler_t::replace);
  if (shown.size() > kMaxShown)
    shown = shown.substr(0, kMaxShown) + "...";
  return shown;
}

[[noreturn]] void fail_type(const Tree& value, const std::string& path, const char* expected) {
  fail(path, std::string("expected ") + expected + ", got " + describe(value));
}

std::string join(Keys keys) {
  std::string list;
  for (const char* key : keys)
    list += (list.empty() ? "" : ", ") + std::string(key);
  return list;
}

void expect_object(const Tree& value, const std::string& path) {
  if (!value.is_object())
    fail_type(value, path, "an object");
}

void check_keys(const Tree& object, const std::string& path, Keys allowed) {
  for (const auto& item : object.items()) {
    bool known = false;
    for (const char* key : allowed)
      known = known || item.key() == key;
    if (!known) {
      fail(path,
           "unknown key " + json_quote(item.key()) + " (expected one of: " + join(allowed) + ")");
    }
  }
}

const Tree* find(const Tree& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const Tree& require(const Tree& object, const std::string& path, const char* key,
                    const char* hint) {
  const Tree* value = find(object, key);
  if (!value)
    fail(path, "missing required key \"" + std::string(key) + "\" (" + hint + ")");
  return *value;
}

std::int64_t read_int64(const Tree& value, const std::string& path) {
  if (!value.is_number_integer())
    fail_type(value, path, "an integer");
  if (value.is_number_unsigned() &&
      value.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max())) {
    fail(path, value.dump() + " is out of range");
  }
  return value.get<std::int64_t>();
}

int read_int(const Tree& value, const std::string& path) {
  const std::int64_t number = read_int64(value, path);
  if (number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max()) {
    fail(path, std::to_string(number) + " is out of range");
  }
  return static_cast<int>(number);
}

bool read_bool(const Tree& value, const std::string& path) {
  if (!value.is_boolean())
    fail_type(value, path, "a boolean");
  return value.get<bool>();
}

std::string read_string(const Tree& value, const std::string& path) {
  if (!value.is_string())
    fail_type(value, path, "a string");
  return value.get<std::string>();
}

std::optional<int> read_axis(const Tree& granularity, const std::string& path) {
  const Tree* axis = find(granularity, "axis");
  if (!axis || axis->is_null())
    return std::nullopt;
  return read_int(*axis, path + ".axis");
}

Granularity granularity_from_tree(const Tree& value, const std::string& path) {
  expect_object(value, path);
  const std::string type = read_string(
      require(value, path, "type", "per_tensor or per_grouped_channel"), path + ".type");
  if (type == "per_tensor") {
    check_keys(value, path, kPerTensorKeys);
    Granularity granularity = Granularity::per_tensor();
    granularity.axis = read_axis(value, path);  // validate() rejects a non-null one
    return granularity;
  }
  if (type == "per_grouped_channel") {
    check_keys(value, path, kPerGroupedChannelKeys);
    const Tree& group_size = require(value, path, "group_size", "an integer > 0");
    return Granularity::per_grouped_channel(read_axis(value, path),
                                            read_int64(group_size, path + ".group_size"));
  }
  fail(path + ".type", json_quote(type) + " is not one of per_tensor, per_grouped_channel");
}

LutDType lut_dtype_from_tree(const Tree& value, const std::string& path) {
  const std::string dtype = without_torch_prefix(read_string(value, path));
  if (dtype == "int8")
    return LutDType::Int8;
  if (dtype == "uint8")
    return LutDType::UInt8;
  fail(path, json_quote(dtype) + " is not one of int8, uint8");
}

QScheme qscheme_from_tree(const Tree& value, const std::string& path) {
  const std::string qscheme = read_string(value, path);
  if (qscheme == "symmetric")
    return QScheme::Symmetric;
  if (qscheme == "asymmetric")
    return QScheme::Asymmetric;
  fail(path, json_quote(qscheme) + " is not one of symmetric, asymmetric");
}

std::optional<LutQSpec> lut_qspec_from_tree(const Tree& value, const std::string& path) {
  if (value.is_null())
    return std::nullopt;
  if (!value.is_object())
    fail_type(value, path, "an object or null");
  check_keys(value, path, kLutQSpecKeys);
  LutQSpec qspec;
  qspec.dtype =
      lut_dtype_from_tree(require(value, path, "dtype", "int8 or uint8"), path + ".dtype");
  if (const Tree* qscheme = find(value, "qscheme")) {
    qspec.qscheme = qscheme_from_tree(*qscheme, path + ".qscheme");
  }
  check_lut_qspec_dump_keys(value, path, qspec.dtype);
  return qspec;
}

PalettizationSpec spec_from_tree(const Tree& value, const std::string& path) {
  expect_object(value, path);
  check_keys(value, path, kSpecKeys);
  PalettizationSpec spec;
  if (const Tree* n_bits = find(value, "n_bits"))
    spec.n_bits = read_int(*n_bits, path + ".n_bits");
  if (const Tree* granularity = find(value, "granularity")) {
    spec.granularity = granularity_from_tree(*granularity, path + ".granularity");
  }
  if (const Tree* cluster_dim = find(value, "cluster_dim")) {
    spec.cluster_dim = read_int(*cluster_dim, path + ".cluster_dim");
  }
  if (const Tree* scale = find(value, "enable_per_channel_scale")) {
    spec.enable_per_channel_scale = read_bool(*scale, path + ".enable_per_channel_scale");
  }
  if (const Tree* qspec = find(value, "lut_qspec")) {
    spec.lut_qspec = lut_qspec_from_tree(*qspec, path + ".lut_qspec");
  }
  return spec;
}

// A mapping that may also be null; null and absent both mean "no entries".
const Tree* optional_mapping(const Tree& object, const char* key, const std::string& path) {
  const Tree* value = find(object, key);
  if (!value || value->is_null())
    return nullptr;
  if (!value->is_object())
    fail_type(*value, path, "an object or null");
  return value;
}

StateSpecMap state_specs_from_tree(const Tree& object, const char* key, const std::string& path) {
  StateSpecMap specs;
  const Tree* map = optional_mapping(object, key, path);
  if (!map)
    return specs;
  for (const auto& item : map->items()) {
    const std::string entry = child_path(path, item.key());
    if (item.value().is_null()) {
      specs.insert_or_assign(item.key(), std::nullopt);
    } else {
      specs.insert_or_assign(item.key(), spec_from_tree(item.value(), entry));
    }
  }
  return specs;
}

// op_state_spec: absent -> {"weight": default, "in_proj_weight": default}; null -> {}.
StateSpecMap op_state_spec_from_tree(const Tree& object, const std::string& path) {
  if (!object.contains("op_state_spec"))
    return default_op_state_spec();
  return state_specs_from_tree(object, "op_state_spec", path + ".op_state_spec");
}

template <std::size_t N>
void check_weight_only(const Tree& object, const std::string& path, const char* const (&keys)[N]) {
  for (const char* key : keys) {
    const Tree* value = find(object, key);
    if (value && !is_empty_activation_spec(*value)) {
      fail(path + "." + key,
           "palettization is weight-only, expected null, {} or only null entries, got " +
               describe(*value));
    }
  }
}

OpKMeansPalettizerConfig op_config_from_tree(const Tree& value, const std::string& path) {
  if (value.is_null())
    return OpKMeansPalettizerConfig::disabled();
  if (!value.is_object())
    fail_type(value, path, "an object or null");
  check_keys(value, path, kOpKeys);
  check_weight_only(value, path, kOpActivationKeys);
  return OpKMeansPalettizerConfig{op_state_spec_from_tree(value, path)};
}

// Keys are normalised to the short op type; unknown ones are kept for validate() to report.
OrderedMap<OpKMeansPalettizerConfig> op_type_configs_from_tree(const Tree& object,
                                                               const std::string& path) {
  OrderedMap<OpKMeansPalettizerConfig> configs;
  OrderedMap<std::string> written_as;  // short form -> the key as written
  const Tree* map = optional_mapping(object, "op_type_config", path);
  if (!map)
    return configs;
  for (const auto& item : map->items()) {
    const std::string entry = child_path(path, item.key());
    const std::string key = normalize_op_type(item.key()).value_or(item.key());
    if (const std::string* earlier = written_as.find(key)) {
      fail(entry, "op type " + json_quote(item.key()) + " duplicates " + json_quote(*earlier) +
                      " (both are " + json_quote(key) + ")");
    }
    written_as.insert_or_assign(key, item.key());
    configs.insert_or_assign(key, op_config_from_tree(item.value(), entry));
  }
  return configs;
}

OrderedMap<OpKMeansPalettizerConfig> op_name_configs_from_tree(const Tree& object,
                                                               const std::string& path) {
  OrderedMap<OpKMeansPalettizerConfig> configs;
  const Tree* map = optional_mapping(object, "op_name_config", path);
  if (!map)
    return configs;
  for (const auto& item : map->items()) {
    configs.insert_or_assign(item.key(),
                             op_config_from_tree(item.value(), child_path(path, item.key())));
  }
  return configs;
}

ModuleKMeansPalettizerConfig module_config_from_tree(const Tree& value, const std::string& path) {
  if (value.is_null())
    return ModuleKMeansPalettizerConfig::disabled();
  if (!value.is_object())
    fail_type(value, path, "an object or null");
  check_keys(value, path, kModuleKeys);
  check_weight_only(value, path, kOpActivationKeys);
  check_weight_only(value, path, kModuleActivationKeys);
  ModuleKMeansPalettizerConfig config;
  config.op_state_spec = op_state_spec_from_tree(value, path);
  config.op_type_config = op_type_configs_from_tree(value, path + ".op_type_config");
  config.op_name_config = op_name_configs_from_tree(value, path + ".op_name_config");
  config.module_state_spec =
      state_specs_from_tree(value, "module_state_spec", path + ".module_state_spec");
  if (const Tree* fast = find(value, "enable_fast_kmeans_mode")) {
    config.enable_fast_kmeans_mode = read_bool(*fast, path + ".enable_fast_kmeans_mode");
  }
  if (const Tree* precision = find(value, "rounding_precision")) {
    config.rounding_precision = read_int(*precision, path + ".rounding_precision");
  }
  return config;
}

OrderedMap<ModuleKMeansPalettizerConfig> module_configs_from_tree(const Tree& object,
                                                                  const char* key,
                                                                  const std::string& path) {
  OrderedMap<ModuleKMeansPalettizerConfig> configs;
  const Tree* map = optional_mapping(object, key, path);
  if (!map)
    return configs;
  for (const auto& item : map->items()) {
    configs.insert_or_assign(item.key(),
                             module_config_from_tree(item.value(), child_path(path, item.key())));
  }
  return configs;
}

KMeansPalettizerConfig palettizer_config_from_tree(const Tree& value) {
  const std::string path = kConfigRoot;
  expect_object(value, path);
  check_keys(value, path, kConfigKeys);
  KMeansPalettizerConfig config;
  // Absent -> the default module config, even beside other keys (coreai_opt's code, not its docs).
  if (const Tree* global = find(value, "global_config")) {
    config.global_config = module_config_from_tree(*global, path + ".global_config");
  }
  config.module_type_configs =
      module_configs_from_tree(value, "module_type_configs", path + ".module_type_configs");
  config.module_name_configs =
      module_configs_from_tree(value, "module_name_configs", path + ".module_name_configs");
  config.ignored_keys = ignored_training_keys(value, path);
  return config;
}

KMeansPalettizerConfig document_to_config(const Tree& document) {
  if (document.is_null())
    fail("", "empty configuration");
  if (!document.is_object())
    fail_type(document, "", "a mapping at the top level");
  check_keys(document, "", kDocumentKeys);
  KMeansPalettizerConfig config = palettizer_config_from_tree(
      require(document, "", kConfigRoot, "the palettizer configuration"));
  config.validate();
  return config;
}

Tree granularity_to_tree(const Granularity& granularity) {
  if (granularity.type == GranularityType::PerTensor)
    return Tree{{"type", "per_tensor"}};
  Tree axis = granularity.axis ? Tree(*granularity.axis) : Tree(nullptr);
  return Tree{{"type", "per_grouped_channel"},
              {"axis", std::move(axis)},
              {"group_size", granularity.group_size}};
}

Tree lut_qspec_to_tree(const std::optional<LutQSpec>& qspec) {
  if (!qspec)
    return nullptr;
  return Tree{{"dtype", qspec->dtype == LutDType::Int8 ? "int8" : "uint8"},
              {"qscheme", qspec->qscheme == QScheme::Symmetric ? "symmetric" : "asymmetric"}};
}

Tree state_specs_to_tree(const StateSpecMap& specs) {
  Tree tree = Tree::object();
  for (const auto& [state, spec] : specs)
    tree[state] = spec ? spec_to_tree(*spec) : Tree(nullptr);
  return tree;
}

// A config that equals disabled() is written as null, so null <-> disabled round-trips exactly.
Tree op_config_to_tree(const OpKMeansPalettizerConfig& config) {
  if (config == OpKMeansPalettizerConfig::disabled())
    return nullptr;
  return Tree{{"op_state_spec", state_specs_to_tree(config.op_state_spec)}};
}

Tree op_configs_to_tree(const OrderedMap<OpKMeansPalettizerConfig>& configs) {
  Tree tree = Tree::object();
  for (const auto& [key, config] : configs)
    tree[key] = op_config_to_tree(config);
  return tree;
}

Tree module_config_to_tree(const ModuleKMeansPalettizerConfig& config) {
  if (config.is_disabled())
    return nullptr;
  return Tree{{"op_state_spec", state_specs_to_tree(config.op_state_spec)},
              {"op_type_config", op_configs_to_tree(config.op_type_config)},
              {"op_name_config", op_configs_to_tree(config.op_name_config)},
              {"module_state_spec", state_specs_to_tree(config.module_state_spec)},
              {"enable_fast_kmeans_mode", config.enable_fast_kmeans_mode},
              {"rounding_precision", config.rounding_precision}};
}

Tree module_configs_to_tree(const OrderedMap<ModuleKMeansPalettizerConfig>& configs) {
  Tree tree = Tree::object();
  for (const auto& [key, config] : configs)
    tree[key] = module_config_to_tree(config);
  return tree;
}

}  // namespace

KMeansPalettizerConfig config_from_tree(const Tree& document, const std::string& source) {
  try {
    return document_to_config(document);
  } catch (const ConfigError& error) {
    throw ConfigError(source + ": " + error.what());
  }
}

PalettizationSpec spec_from_document(const Tree& value, const std::string& source) {
  try {
    PalettizationSpec spec = spec_from_tree(value, std::string("palettization_spec"));
    spec.validate("palettization_spec");
    return spec;
  } catch (const ConfigError& error) {
    throw ConfigError(source + ": " + error.what());
  }
}

Tree spec_to_tree(const PalettizationSpec& spec) {
  return Tree{{"n_bits", spec.n_bits},
              {"granularity", granularity_to_tree(spec.granularity)},
              {"cluster_dim", spec.cluster_dim},
              {"enable_per_channel_scale", spec.enable_per_channel_scale},
              {"lut_qspec", lut_qspec_to_tree(spec.lut_qspec)}};
}

Tree config_to_tree(const KMeansPalettizerConfig& config) {
  Tree body = {{"global_config", module_config_to_tree(config.global_config)},
               {"module_type_configs", module_configs_to_tree(config.module_type_configs)},
               {"module_name_configs", module_configs_to_tree(config.module_name_configs)}};
  return Tree{{kConfigRoot, std::move(body)}};
}

}  // namespace kmlut::detail
