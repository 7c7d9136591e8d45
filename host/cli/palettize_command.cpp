// `kmlut palettize`: resolve the plan, run it through the pipeline on the chosen backend, report.
// Started by mpirun, each process is one rank of a job that shares the work (docs/scaling.md).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "host/cli/cli_input.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/exit_codes.hpp"
#include "host/cli/option_checks.hpp"
#include "host/cli/progress_reporter.hpp"
#include "host/distributed/agreement.hpp"
#include "host/distributed/distributed_pipeline.hpp"
#include "host/distributed/local_device.hpp"
#include "host/distributed/process_communicator.hpp"
#include "host/distributed/rank_report_json.hpp"
#include "host/pipeline/output_policy.hpp"
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
  std::string devices;  // "" = device 0
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

// --report (JSON) and --html (the same document rendered as a page); an MPI job adds its ranks.
void write_reports(const PalettizeOptions& options, const PipelineReport& report,
                   const std::string& device, const std::vector<distributed::RankReport>& ranks) {
  if (options.report.empty() && options.html.empty())
    return;
  nlohmann::ordered_json document = palettize_report_document(report, device);
  document["model"] = options.input;
  document["config"] = config_description(options.config);
  if (!ranks.empty())
    document["ranks"] = distributed::rank_reports_json(ranks);
  if (!options.report.empty())
    write_file_atomically(options.report, document.dump(2) + "\n");
  if (!options.html.empty())
    write_file_atomically(options.html, reporting::render_html_report(nlohmann::json(document)));
}

// The job of one process (`ranks` null) or of one rank of an MPI job; only rank 0 speaks.
void palettize(const PalettizeOptions& options, distributed::Communicator* ranks) {
  embed::CheckpointJobOptions job;
  job.config = config_source(options.config);
  job.manifest = options.config.manifest_path;
  job.backend = options.backend;
  job.threads = options.threads;
  job.devices = options.devices;
  job.pipeline.strict = options.strict;
  job.pipeline.seed = options.seed;
  job.pipeline.memory_budget = options.memory_budget;
  job.sensitivities = options.sensitivities;
  job.force = options.force;
  const bool speaks = ranks == nullptr || ranks->rank() == 0;
  ProgressReporter progress(options.quiet || !speaks);
  const std::string sharing =
      ranks == nullptr ? "" : "; " + std::to_string(ranks->size()) + " MPI ranks";
  job.on_start = [&progress, &sharing](const Plan& plan, const std::string& device,
                                       const std::string& reason) {
    const std::string why = reason.empty() ? "" : " (" + reason + ")";
    progress.log("backend " + device + why + "; " + std::to_string(plan.palettized_count()) +
                 " of " + std::to_string(plan.jobs.size()) + " tensors selected" + sharing);
  };
  std::vector<distributed::RankReport> rank_reports;
  if (ranks != nullptr) {
    job.run_pipeline = [ranks, &rank_reports](const Checkpoint& input, const Plan& plan,
                                              const std::filesystem::path& output, Backend& backend,
                                              const PipelineOptions& pipeline,
                                              const ProgressCallback& on_progress) {
      distributed::DistributedReport done = distributed::palettize_checkpoint_distributed(
          *ranks, input, plan, output, backend, pipeline, on_progress);
      rank_reports = std::move(done.ranks);
      return std::move(done.report);
    };
  }
  const embed::CheckpointJobResult result = embed::palettize_checkpoint_job(
      options.input, options.output, job,
      [&progress](const PipelineProgress& p) { progress.update(p); });
  const PipelineReport& report = result.report;
  progress.finish();
  if (speaks)
    write_reports(options, report, result.device, rank_reports);
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

// What every rank checks before any work, agreed on so that a usage error ends every rank the
// same way instead of one rank leaving the others waiting.
void check_job(const PalettizeOptions& options, const distributed::Communicator& ranks) {
  embed::load_config_source(config_source(options.config));
  const Checkpoint checkpoint = Checkpoint::open(options.input);
  check_output_target(options.input, checkpoint, options.output, options.force);
  std::error_code error;
  if (ranks.size() > 1 && std::filesystem::is_directory(options.input, error)) {
    throw ConfigError(options.input +
                      ": a model directory is palettized by a single process; with mpirun give "
                      "its model.safetensors.index.json or its .safetensors file");
  }
  if (ranks.size() > 1 && !options.devices.empty()) {
    throw ConfigError("--devices " + options.devices +
                      ": with mpirun each rank takes its node-local GPU; --devices is for a "
                      "single process");
  }
}

int exit_code_for(distributed::FailureKind kind) {
  switch (kind) {
    case distributed::FailureKind::Config:
      return kUsageError;
    case distributed::FailureKind::Input:
      return kInvalidInput;
    case distributed::FailureKind::Runtime:
      break;
  }
  return kRuntimeFailure;
}

// One rank of an MPI job. A failure every rank has agreed on is reported once, by rank 0; any other
// failure leaves the others waiting for this rank, so it ends the whole job (mpirun then exits
// non-zero), and the files no rank has committed vanish with their processes.
void run_as_rank(distributed::Communicator& ranks, const PalettizeOptions& options) {
  set_stderr_prefix("[rank " + std::to_string(ranks.rank()) + "] ");
  try {
    distributed::agree(ranks, [&] {
      check_job(options, ranks);
      return distributed::Bytes{};
    });
    if (options.backend != "cpu")
      distributed::select_local_device(ranks.local_rank());
    palettize(options, &ranks);
  } catch (const distributed::AgreedFailure& failure) {
    const int code = exit_code_for(failure.kind());
    if (ranks.rank() == 0)
      std::cerr << failure_line(code, failure.what()) << std::endl;
    // mpirun ends the whole job at the first rank that exits non-zero: the others wait until rank
    // 0 has said why.
    ranks.all_gather({});
    throw SilentExit{code};
  } catch (const std::exception& error) {
    std::cerr << failure_line(error) << std::endl;
    ranks.abort(exit_code_of(error));
  }
}

void run_palettize(const PalettizeOptions& options) {
  const std::unique_ptr<distributed::Communicator> ranks =
      distributed::communicator_for_this_process();
  if (ranks)
    run_as_rank(*ranks, options);
  else
    palettize(options, nullptr);
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
  add_devices_option(*command, options->devices,
                     "several share the work by estimated cost, with one device's bytes (not "
                     "with mpirun: each rank takes its node-local GPU)");
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
