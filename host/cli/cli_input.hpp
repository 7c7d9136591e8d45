// What several subcommands share: the config options (--config / --preset / --manifest), read by
// the embedding layer (host/embed/) as the Python module and the C ABI use it.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "host/embed/checkpoint_job.hpp"

namespace kmlut::cli {

struct ConfigOptions {
  std::string config_path;
  std::string preset;
  std::string manifest_path;
};

// Registers --config, --preset and --manifest on a subcommand.
void add_config_options(CLI::App& command, ConfigOptions& options);

// --config FILE or --preset NAME (CLI11 makes them exclusive); neither gives coreai_opt's default
// config.
embed::ConfigSource config_source(const ConfigOptions& options);

}  // namespace kmlut::cli
