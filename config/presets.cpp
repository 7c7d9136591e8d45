// The coreai_opt presets w4 / w6 / w8 (docs/architecture.md §5.4): "weight" and "in_proj_weight"
// get the preset's spec; fast mode and rounding precision keep their defaults.
#include <string>

#include "config/key_path.hpp"
#include "kmlut/config.hpp"
#include "kmlut/error.hpp"

namespace kmlut {
namespace {

ModuleKMeansPalettizerConfig weights_only(const PalettizationSpec& spec) {
  ModuleKMeansPalettizerConfig config;
  config.op_state_spec = {{"weight", spec}, {"in_proj_weight", spec}};
  return config;
}

PalettizationSpec grouped_spec(int n_bits, std::optional<int> axis, std::int64_t group_size) {
  PalettizationSpec spec;
  spec.n_bits = n_bits;
  spec.granularity = Granularity::per_grouped_channel(axis, group_size);
  return spec;
}

KMeansPalettizerConfig with_global(ModuleKMeansPalettizerConfig module) {
  KMeansPalettizerConfig config;
  config.global_config = std::move(module);
  return config;
}

}  // namespace

ModuleKMeansPalettizerConfig ModuleKMeansPalettizerConfig::w4(std::optional<int> axis,
                                                              std::int64_t group_size) {
  return weights_only(grouped_spec(4, axis, group_size));
}

ModuleKMeansPalettizerConfig ModuleKMeansPalettizerConfig::w6(std::optional<int> axis,
                                                              std::int64_t group_size) {
  return weights_only(grouped_spec(6, axis, group_size));
}

ModuleKMeansPalettizerConfig ModuleKMeansPalettizerConfig::w8() {
  PalettizationSpec spec;
  spec.n_bits = 8;
  return weights_only(spec);
}

KMeansPalettizerConfig KMeansPalettizerConfig::w4(std::optional<int> axis,
                                                  std::int64_t group_size) {
  return with_global(ModuleKMeansPalettizerConfig::w4(axis, group_size));
}

KMeansPalettizerConfig KMeansPalettizerConfig::w6(std::optional<int> axis,
                                                  std::int64_t group_size) {
  return with_global(ModuleKMeansPalettizerConfig::w6(axis, group_size));
}

KMeansPalettizerConfig KMeansPalettizerConfig::w8() {
  return with_global(ModuleKMeansPalettizerConfig::w8());
}

KMeansPalettizerConfig KMeansPalettizerConfig::preset(const std::string& name) {
  if (name == "w4")
    return w4();
  if (name == "w6")
    return w6();
  if (name == "w8")
    return w8();
  throw ConfigError("unknown preset " + detail::json_quote(name) +
                    " (expected one of: w4, w6, w8)");
}

}  // namespace kmlut
