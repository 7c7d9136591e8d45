// `kmlut palettize`: resolve the plan, run it through the pipeline on the chosen backend, report.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "host/cli/cli_input.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/progress_reporter.hpp"
#include "host/pipeline/output_policy.hpp"
#include "host/report/machine_info.hpp"
#include "host/report/report_document.hpp"
#include "host/report/text_table.hpp"
#include "kmlut/atomic_file.hpp"
#include "kmlut/error.hpp"
#include "kmlut/pipeline.hpp"

namespace kmlut::cli {
namespace {

struct PalettizeOptions {
  std::string input;
  std::string output;
  ConfigOptions config;
  std::string backend = "auto";
  int threads = 0;
  std::uint64_t seed = 0;
  std::string report;
  std::string memory_budget;
  std::string sensitivities;
  bool strict = false;
  bool quiet = false;
  bool force = false;
};

// "512M", "2G", "1073741824": bytes with an optional binary suffix.
std::uint64_t parse_bytes(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string suffix = text.substr(used);
  const std::uint64_t unit = suffix.empty() || suffix == "B" ? 1
                             : suffix == "K"                 ? 1ull << 10
                             : suffix == "M"                 ? 1ull << 20
                             : suffix == "G"                 ? 1ull << 30
                             : suffix == "T"                 ? 1ull << 40
                                                             : 0;
  const double bytes = value * static_cast<double>(unit);
  if (used == 0 || unit == 0 || !(value > 0) || !(bytes < 18446744073709551615.0)) {
    throw ConfigError("--memory-budget: expected a size such as 512M or 4G, got \"" + text + "\"");
  }
  return static_cast<std::uint64_t>(bytes);
}

std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", seconds);
  return text;
}

void run_palettize(const PalettizeOptions& options) {
  const KMeansPalettizerConfig config = load_config_option(options.config);
  PipelineOptions pipeline;
  pipeline.strict = options.strict;
  pipeline.seed = options.seed;
  if (!options.memory_budget.empty())
    pipeline.memory_budget = parse_bytes(options.memory_budget);
  const Checkpoint checkpoint = Checkpoint::open(options.input);
  check_output(checkpoint, options.output, options.force);
  std::optional<Checkpoint> sensitivities;
  if (!options.sensitivities.empty()) {
    sensitivities.emplace(Checkpoint::open(options.sensitivities));
    pipeline.sensitivities = &*sensitivities;
  }
  const std::vector<TensorInfo> tensors = tensor_infos(checkpoint);
  const Plan plan = resolve_plan(config, load_model_description(options.config, tensors), tensors);
  std::unique_ptr<Backend> backend = make_backend(options.backend, options.threads);
  const std::string device = reporting::device_description(backend->name(), options.threads);
  ProgressReporter progress(options.quiet);
  progress.log("backend " + device + "; " + std::to_string(plan.palettized_count()) + " of " +
               std::to_string(plan.jobs.size()) + " tensors selected");
  const PipelineReport report =
      palettize_checkpoint(checkpoint, plan, options.output, *backend, pipeline,
                           [&progress](const PipelineProgress& p) { progress.update(p); });
  progress.finish();
  if (!options.report.empty())
    write_file_atomically(options.report,
                          reporting::report_document(report, device).dump(2) + "\n");
  progress.log(std::to_string(report.count(TensorStatus::Palettized)) + " palettized, " +
               std::to_string(report.count(TensorStatus::Skipped)) + " skipped, " +
               std::to_string(report.count(TensorStatus::Copied)) + " copied; " +
               reporting::format_bytes(report.bytes_in) + " -> " +
               reporting::format_bytes(report.bytes_out) + " in " + format_seconds(report.seconds) +
               "; wrote " + options.output);
  for (const TensorReport& tensor : report.tensors) {
    if (tensor.status == TensorStatus::Skipped)
      progress.log("skipped " + tensor.name + ": " + tensor.reason);
  }
}

}  // namespace

void add_palettize_command(CLI::App& app) {
  auto options = std::make_shared<PalettizeOptions>();
  CLI::App* command =
      app.add_subcommand("palettize", "Palettize a checkpoint into the kmlut v1 format");
  command
      ->add_option("INPUT", options->input,
                   "a .safetensors file, an index .json, or a directory holding either")
      ->required();
  command
      ->add_option("OUTPUT", options->output,
                   "a .safetensors file (single-file input) or a directory (sharded input)")
      ->required();
  add_config_options(*command, options->config);
  command->add_option("--backend", options->backend, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  command->add_option("--threads", options->threads, "CPU threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--seed", options->seed, "seed of the vector path's k-means++");
  command->add_option("--report", options->report, "write a JSON report to this file");
  command->add_option("--sensitivities", options->sensitivities,
                      "safetensors checkpoint of per-element importances (e.g. accumulated "
                      "squared gradients), one tensor per palettized tensor, same name and shape");
  command->add_option("--memory-budget", options->memory_budget,
                      "bytes of tensor data in flight, e.g. 2G (default: a quarter of free RAM)");
  command->add_flag("--strict", options->strict,
                    "fail when a selected tensor cannot be palettized instead of skipping it");
  command->add_flag("--quiet", options->quiet, "no progress or summary on stderr");
  command->add_flag("--force", options->force, "replace an existing output");
  command->callback([options] { run_palettize(*options); });
}

}  // namespace kmlut::cli
