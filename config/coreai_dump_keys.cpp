#include "config/coreai_dump_keys.hpp"

#include <cstring>

#include "config/key_path.hpp"
#include "kmlut/error.hpp"

namespace kmlut::detail {

namespace {

[[noreturn]] void unsupported(const std::string& path, const std::string& problem) {
  throw ConfigError(path + ": " + problem);
}

// null, the registry name, or the class: its path or str(class) ("<class '...Name'>").
bool names_default(const Tree& value, const std::string& registry_name,
                   const std::string& class_name) {
  if (value.is_null())
    return true;
  if (!value.is_string())
    return false;
  std::string text = value.get<std::string>();
  if (text == registry_name)
    return true;
  const std::string str_suffix = "'>";
  if (text.size() > str_suffix.size() &&
      text.compare(text.size() - str_suffix.size(), str_suffix.size(), str_suffix) == 0) {
    text.resize(text.size() - str_suffix.size());
  }
  return text == class_name || (text.size() > class_name.size() &&
                                text.compare(text.size() - class_name.size() - 1,
                                             class_name.size() + 1, "." + class_name) == 0);
}

void expect_default(const Tree& qspec, const char* key, const std::string& path,
                    const std::string& registry_name, const std::string& class_name,
                    const char* meaning) {
  const auto it = qspec.find(key);
  if (it != qspec.end() && !names_default(*it, registry_name, class_name)) {
    unsupported(child_path(path, key),
                std::string("kmlut implements only ") + meaning + ", got " + it->dump());
  }
}

bool is_per_tensor(const Tree& granularity) {
  if (granularity.is_null())
    return true;
  if (!granularity.is_object())
    return false;
  const auto type = granularity.find("type");
  const auto axis = granularity.find("axis");
  return type != granularity.end() && *type == "per_tensor" &&
         (axis == granularity.end() || axis->is_null());
}

bool is_unbounded_range(const Tree& range) {
  return range.is_null() ||
         (range.is_array() && range.size() == 2 && range[0].is_null() && range[1].is_null());
}

void expect_integer(const Tree& qspec, const char* key, const std::string& path, long expected) {
  const auto it = qspec.find(key);
  if (it != qspec.end() && !(it->is_number_integer() && it->get<long>() == expected)) {
    unsupported(child_path(path, key),
                "must be " + std::to_string(expected) + " for this dtype, got " + it->dump());
  }
}

void collect(const Tree& object, const std::string& path, std::vector<std::string>& notes) {
  if (!object.is_object())
    return;
  for (const auto& item : object.items()) {
    const std::string here = child_path(path, item.key());
    if (item.key() == "pat_schedule") {
      notes.push_back(here + ": palettization-aware training schedule; data-free k-means has none");
    } else if (item.key() == "training_strategy_spec") {
      notes.push_back(here + ": how palettization-aware training updates the centroids");
    } else if (!item.value().is_null() && item.value().is_object() && !item.value().empty() &&
               (item.key() == "op_input_spec" || item.key() == "op_output_spec" ||
                item.key() == "module_input_spec" || item.key() == "module_output_spec")) {
      notes.push_back(here + ": activation specs are for quantization; every entry is null");
    } else {
      collect(item.value(), here, notes);
    }
  }
}

}  // namespace

bool is_empty_activation_spec(const Tree& value) {
  if (value.is_null())
    return true;
  if (!value.is_object())
    return false;
  for (const auto& item : value.items()) {
    if (!item.value().is_null())
      return false;
  }
  return true;
}

void check_lut_qspec_dump_keys(const Tree& qspec, const std::string& path, LutDType dtype) {
  expect_default(qspec, "qformulation", path, "zp", "ZP", "the zero-point formulation (zp)");
  expect_default(qspec, "fake_quantize_cls", path, "default", "_DefaultFakeQuantizeImpl",
                 "the default fake quantizer");
  expect_default(qspec, "qparam_calculator_cls", path, "default", "_DefaultQParamsCalculator",
                 "the default qparams calculator");
  expect_default(qspec, "range_calculator_cls", path, "minmax", "MinMaxRangeCalculator",
                 "the minmax range calculator");
  if (const auto it = qspec.find("granularity"); it != qspec.end() && !is_per_tensor(*it)) {
    unsupported(child_path(path, "granularity"),
                "a LUT is quantized per LUT; expected {type: per_tensor}, got " + it->dump());
  }
  if (const auto it = qspec.find("float_range"); it != qspec.end() && !is_unbounded_range(*it)) {
    unsupported(child_path(path, "float_range"),
                "kmlut takes the range from the LUT; expected [null, null], got " + it->dump());
  }
  if (const auto it = qspec.find("scale_dtype"); it != qspec.end() && !it->is_null()) {
    unsupported(
        child_path(path, "scale_dtype"),
        "integer LUTs have a scale in the weight's dtype; expected null, got " + it->dump());
  }
  const bool is_signed = dtype == LutDType::Int8;
  expect_integer(qspec, "n_bits", path, 8);
  expect_integer(qspec, "quant_min", path, is_signed ? -128 : 0);
  expect_integer(qspec, "quant_max", path, is_signed ? 127 : 255);
  if (const auto it = qspec.find("target_dtype"); it != qspec.end() && !it->is_null()) {
    const std::string want = is_signed ? "int8" : "uint8";
    if (!it->is_string() || without_torch_prefix(it->get<std::string>()) != want) {
      unsupported(child_path(path, "target_dtype"), "must be " + want + ", got " + it->dump());
    }
  }
  if (const auto it = qspec.find("_quant_range"); it != qspec.end()) {
    const Tree expected = Tree::array({is_signed ? -128 : 0, is_signed ? 127 : 255});
    if (*it != expected) {
      unsupported(child_path(path, "_quant_range"),
                  "must be " + expected.dump() + " for this dtype, got " + it->dump());
    }
  }
}

std::vector<std::string> ignored_training_keys(const Tree& root, const std::string& path) {
  std::vector<std::string> notes;
  collect(root, path, notes);
  return notes;
}

std::string without_torch_prefix(const std::string& dtype) {
  constexpr const char* kPrefix = "torch.";
  return dtype.rfind(kPrefix, 0) == 0 ? dtype.substr(std::strlen(kPrefix)) : dtype;
}

}  // namespace kmlut::detail
