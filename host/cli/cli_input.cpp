#include "host/cli/cli_input.hpp"

#include "host/cli/option_checks.hpp"
#include "kmlut/config_io.hpp"

namespace kmlut::cli {

void add_config_options(CLI::App& command, ConfigOptions& options) {
  CLI::Option* config =
      command.add_option("--config", options.config_path, "KMeansPalettizerConfig as JSON or YAML");
  command.add_option("--preset", options.preset, "w4, w6 or w8")
      ->check(preset_name())
      ->excludes(config);
  command.add_option("--manifest", options.manifest_path,
                     "model description from a compiler (docs/manifest.md)");
}

KMeansPalettizerConfig load_config_option(const ConfigOptions& options) {
  if (!options.config_path.empty())
    return load_config(options.config_path);
  if (!options.preset.empty())
    return KMeansPalettizerConfig::preset(options.preset);
  return KMeansPalettizerConfig{};
}

std::vector<TensorInfo> tensor_infos(const Checkpoint& checkpoint) {
  std::vector<TensorInfo> infos;
  infos.reserve(checkpoint.tensors().size());
  for (const Checkpoint::TensorRef& ref : checkpoint.tensors())
    infos.push_back(*ref.info);
  return infos;
}

ModelDescription load_model_description(const ConfigOptions& options,
                                        const std::vector<TensorInfo>& tensors) {
  if (options.manifest_path.empty())
    return infer_model_description(tensors);
  return load_manifest(options.manifest_path, tensors);
}

}  // namespace kmlut::cli
