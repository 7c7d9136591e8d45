// What several subcommands share: loading the config (--config / --preset) and the model
// description (--manifest or inference) for a checkpoint.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "kmlut/checkpoint.hpp"
#include "kmlut/config.hpp"
#include "kmlut/model.hpp"

namespace kmlut::cli {

struct ConfigOptions {
  std::string config_path;
  std::string preset;
  std::string manifest_path;
};

// Registers --config, --preset and --manifest on a subcommand.
void add_config_options(CLI::App& command, ConfigOptions& options);

// --config FILE or --preset NAME (CLI11 refuses both); neither gives coreai_opt's default config.
// Throws ConfigError.
KMeansPalettizerConfig load_config_option(const ConfigOptions& options);

// All tensor infos of a checkpoint, in its order.
std::vector<TensorInfo> tensor_infos(const Checkpoint& checkpoint);

// From --manifest when given, else inferred from the checkpoint. Throws InputError.
ModelDescription load_model_description(const ConfigOptions& options,
                                        const std::vector<TensorInfo>& tensors);

}  // namespace kmlut::cli
