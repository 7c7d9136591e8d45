// Planning and palettizing a checkpoint for embedders (the C ABI in host/capi/ and the Python
// module in host/python/): what `kmlut plan` and `kmlut palettize` do, with the config given as a
// path, as JSON text or as a preset name instead of command-line options.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "kmlut/config.hpp"
#include "kmlut/pipeline.hpp"
#include "kmlut/plan.hpp"

namespace kmlut::embed {

// At most one of the three; none gives coreai_opt's default config.
struct ConfigSource {
  std::filesystem::path path;  // JSON or YAML, by extension
  std::string json;            // a whole config document as JSON text
  std::string preset;          // "w4", "w6" or "w8"
};

// Throws ConfigError naming the source.
KMeansPalettizerConfig load_config_source(const ConfigSource& source);

// A plan and what its config document held without effect here ("<key path>: <reason>" for
// coreai_opt's training-only keys; KMeansPalettizerConfig::ignored_keys).
struct ResolvedPlan {
  Plan plan;
  std::vector<std::string> ignored_keys;
};

// The plan of `kmlut plan INPUT` for this config, and a manifest when `manifest` is not empty.
// Reads no tensor data. Throws ConfigError or InputError.
ResolvedPlan plan_checkpoint(const std::filesystem::path& input, const ConfigSource& config,
                             const std::filesystem::path& manifest = {});

// Called once the plan is resolved and the backend chosen, before any tensor data is read:
// `device` as the report names it, `reason` why "auto" chose this backend ("" otherwise).
using StartCallback =
    std::function<void(const Plan& plan, const std::string& device, const std::string& reason)>;

// What writes the checkpoint once everything is checked and chosen: palettize_checkpoint
// (kmlut/pipeline.hpp), or the same job shared by several processes (host/distributed/).
using PipelineRunner = std::function<PipelineReport(
    const Checkpoint& input, const Plan& plan, const std::filesystem::path& output,
    Backend& backend, const PipelineOptions& options, const ProgressCallback& progress)>;

struct CheckpointJobOptions {
  ConfigSource config;
  std::filesystem::path manifest;
  std::string backend = "auto";
  int threads = 0;      // 0 = all cores
  std::string devices;  // the CUDA devices (choose_backend): "" device 0, "all", "0,1", ...
  PipelineOptions pipeline;
  std::filesystem::path sensitivities;  // a checkpoint of per-element importances, or empty
  bool force = false;                   // replace an existing output
  StartCallback on_start;
  PipelineRunner run_pipeline;  // empty: palettize_checkpoint
};

struct CheckpointJobResult {
  PipelineReport report;
  std::string device;  // the backend and the machine it ran on, as the report names it
};

// `kmlut palettize INPUT OUTPUT`: refuses to overwrite the input or (without force) an existing
// output, then writes exactly what the CLI writes.
CheckpointJobResult palettize_checkpoint_job(const std::filesystem::path& input,
                                             const std::filesystem::path& output,
                                             const CheckpointJobOptions& options,
                                             const ProgressCallback& progress = {});

}  // namespace kmlut::embed
