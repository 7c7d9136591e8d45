// `kmlut palettize`: resolve the plan, run it through the pipeline on the chosen backend, report.
#include <cstdio>
#include <iostream>
#include <memory>

#include "host/cli/cli_input.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/option_checks.hpp"
#include "host/cli/progress_reporter.hpp"
#include "host/report/html_report.hpp"
#include "host/report/palettize_report.hpp"
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
  std::string html;
  std::uint64_t memory_budget = 0;  // 0: the pipeline's default
  std::string sensitivities;
  bool strict = false;
  bool quiet = false;
  bool force = false;
};

std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", seconds);
  return text;
}

std::string config_description(const ConfigOptions& config) {
  if (!config.preset.empty())
    return "preset " + config.preset;
  return config.config_path.empty() ? "coreai_opt's default config" : config.config_path;
}

// --report (JSON) and --html (the same document rendered as a page).
void write_reports(const PalettizeOptions& options, const PipelineReport& report,
                   const std::string& device) {
  if (options.report.empty() && options.html.empty())
    return;
  nlohmann::ordered_json document = palettize_report_document(report, device);
  document["model"] = options.input;
  document["config"] = config_description(options.config);
  if (!options.report.empty())
    write_file_atomically(options.report, document.dump(2) + "\n");
  if (!options.html.empty())
    write_file_atomically(options.html, reporting::render_html_report(nlohmann::json(document)));
}

void run_palettize(const PalettizeOptions& options) {
  embed::CheckpointJobOptions job;
  job.config = config_source(options.config);
  job.manifest = options.config.manifest_path;
  job.backend = options.backend;
  job.threads = options.threads;
  job.pipeline.strict = options.strict;
  job.pipeline.seed = options.seed;
  job.pipeline.memory_budget = options.memory_budget;
  job.sensitivities = options.sensitivities;
  job.force = options.force;
  ProgressReporter progress(options.quiet);
  job.on_start = [&progress](const Plan& plan, const std::string& device,
                             const std::string& reason) {
    const std::string why = reason.empty() ? "" : " (" + reason + ")";
    progress.log("backend " + device + why + "; " + std::to_string(plan.palettized_count()) +
                 " of " + std::to_string(plan.jobs.size()) + " tensors selected");
  };
  const embed::CheckpointJobResult result = embed::palettize_checkpoint_job(
      options.input, options.output, job,
      [&progress](const PipelineProgress& p) { progress.update(p); });
  const PipelineReport& report = result.report;
  progress.finish();
  write_reports(options, report, result.device);
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
                   "a .safetensors file (single-file input) or a directory (sharded or model "
                   "directory input)")
      ->required();
  add_config_options(*command, options->config);
  add_backend_options(*command, options->backend, options->threads);
  command->add_option("--seed", options->seed, "seed of the vector path's k-means++");
  command->add_option("--report", options->report, "write a JSON report to this file");
  command->add_option("--html", options->html,
                      "write the report as a self-contained HTML page with charts to this file");
  command->add_option("--sensitivities", options->sensitivities,
                      "safetensors checkpoint of per-element importances (e.g. accumulated "
                      "squared gradients), one tensor per palettized tensor, same name and shape");
  command
      ->add_option("--memory-budget", options->memory_budget,
                   "bytes of tensor data in flight, e.g. 2G (default: a quarter of free RAM "
                   "within cgroup limits)")
      ->transform(byte_size());
  command->add_flag("--strict", options->strict,
                    "fail when a selected tensor cannot be palettized instead of skipping it");
  command->add_flag("--quiet", options->quiet, "no progress or summary on stderr");
  command->add_flag("--force", options->force, "replace an existing output");
  command->callback([options] { run_palettize(*options); });
}

}  // namespace kmlut::cli
