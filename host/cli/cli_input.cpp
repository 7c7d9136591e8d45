#include "host/cli/cli_input.hpp"

#include "host/cli/option_checks.hpp"

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

embed::ConfigSource config_source(const ConfigOptions& options) {
  embed::ConfigSource source;
  source.path = options.config_path;
  source.preset = options.preset;
  return source;
}

}  // namespace kmlut::cli
