// `kmlut bench`: runs named workloads on a backend and reports time, throughput, the fraction of
// the memory-bandwidth floor, peak memory and the clustering error (docs/benchmarks.md).
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "host/bench/bench_backend.hpp"
#include "host/bench/bench_report.hpp"
#include "host/bench/bench_save_data.hpp"
#include "host/bench/bench_timing.hpp"
#include "host/bench/bench_workloads.hpp"
#include "host/bench/memory_bandwidth.hpp"
#include "host/bench/peak_memory.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/option_checks.hpp"
#include "host/report/machine_info.hpp"
#include "kmlut/atomic_file.hpp"

namespace kmlut::cli {
namespace {

// This command is the harness's front end; everything it runs lives in kmlut::bench.
using namespace kmlut::bench;  // NOLINT(google-build-using-namespace)

struct BenchOptions {
  std::vector<std::string> workloads;
  std::string backend = "auto";
  int threads = 0;
  int repeat = 5;
  int warmup = 1;
  double budget = 120;
  bool quick = false;
  std::string input;
  std::string shape;
  std::string save_data;
  std::string scratch;
  std::uint64_t seed = 0;
  bool json = false;
  std::string report;
  bool quiet = false;
};

// Whole seconds without a fraction ("120"), else as printed by %g ("0.5").
std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", seconds);
  return text;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// The command line that repeats this run, every option spelled out.
std::string reproducing_command(const BenchOptions& options,
                                const std::vector<std::string>& workloads) {
  std::string command = "kmlut bench --workload ";
  for (std::size_t i = 0; i < workloads.size(); ++i)
    command += (i ? "," : "") + workloads[i];
  command += " --backend " + options.backend + " --threads " + std::to_string(options.threads) +
             " --repeat " + std::to_string(options.repeat) + " --warmup " +
             std::to_string(options.warmup) + " --budget " + format_seconds(options.budget) +
             " --seed " + std::to_string(options.seed);
  if (options.quick)
    command += " --quick";
  if (!options.shape.empty())
    command += " --shape " + options.shape;
  if (!options.input.empty())
    command += " --input " + options.input;
  return command;
}

CaseResult run_case(const BenchCase& bench_case, BenchBackend& bench, RegionTimer& host_timer,
                    const RepeatPolicy& policy, PeakMemoryMeter& meter) {
  CaseResult result;
  result.name = bench_case.name;
  result.description = bench_case.description;
  result.spec = bench_case.spec;
  result.fast_mode = bench_case.fast_mode;
  result.config = bench_case.config;
  result.tensors = bench_case.tensors;
  if (!bench_case.skip_reason.empty()) {
    // The backend would leave every tensor dense: a row that says why, not a failure.
    result.skipped = true;
    result.skip_reason = bench_case.skip_reason;
    return result;
  }
  result.warmup = policy.warmup;
  RegionTimer& timer = bench_case.end_to_end ? host_timer : *bench.batch_timer;
  meter.reset();
  result.runs =
      measure_runs(timer, policy, [&](int) { result.outcome = bench_case.run(*bench.backend); });
  result.peak_memory_bytes = meter.peak_bytes();
  result.timer = timer.last_source();
  result.skip_reason = result.outcome.skip_reason;
  result.skipped = result.outcome.palettized == 0 && result.outcome.skipped > 0;
  return result;
}

void run_bench(const BenchOptions& options) {
  const std::vector<std::string> names = select_workloads(
      options.workloads.empty() ? std::vector<std::string>{"all"} : options.workloads);
  WorkloadOptions workload_options;
  workload_options.quick = options.quick;
  workload_options.seed = options.seed;
  workload_options.input = options.input;
  workload_options.scratch = options.scratch;
  workload_options.threads = reporting::resolved_threads(options.threads);
  if (!options.shape.empty())
    workload_options.shape = parse_rows_by_cols(options.shape);
  const RepeatPolicy policy{options.warmup, options.repeat, options.budget};

  BenchBackend bench = make_bench_backend(options.backend, options.threads);
  const std::unique_ptr<RegionTimer> host_timer = make_monotonic_timer();
  auto log = [&options](const std::string& message) {
    if (!options.quiet)
      std::cerr << "kmlut bench: " << message << std::endl;
  };

  BenchReport report;
  report.command = reproducing_command(options, names);
  report.date = utc_now();
  report.backend = bench.backend->name();
  report.threads = reporting::resolved_threads(options.threads);
  report.device = report.backend + ": " + reporting::cpu_model() + ", " +
                  std::to_string(report.threads) + (report.threads == 1 ? " thread" : " threads");
  report.timer = bench.batch_timer->description();
  report.quick = options.quick;
  report.policy = policy;
  report.seed = options.seed;
  report.input = options.input;
  log("measuring the read bandwidth");
  report.bandwidth = measure_read_bandwidth(
      options.quick ? std::uint64_t{64} << 20 : std::uint64_t{512} << 20, report.threads);

  PeakMemoryMeter meter;
  for (const std::string& name : names) {
    log(name + ": preparing data");
    // One workload at a time: its data (and a generated checkpoint's directory) is released
    // before the next one is built.
    const Workload workload = make_workload(name, workload_options);
    WorkloadResult result{workload.name, workload.source, {}, {}, {}};
    for (const BenchTensor& tensor : workload.tensors)
      result.tensors.push_back({tensor.name, tensor.dtype, tensor.shape});
    if (!options.save_data.empty())
      result.data_file = save_workload_data(workload, options.save_data).string();
    for (const BenchCase& bench_case : workload.cases) {
      log(name + " " + bench_case.name + ": " + bench_case.description);
      result.cases.push_back(run_case(bench_case, bench, *host_timer, policy, meter));
    }
    report.workloads.push_back(std::move(result));
  }
  report.peak_memory_method = meter.method();
  const std::string document = bench_json(report).dump(2) + "\n";
  if (!options.report.empty())
    write_file_atomically(options.report, document);
  if (options.json)
    std::cout << document;
  else
    print_bench_table(report, std::cout);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* command = app.add_subcommand(
      "bench", "Time palettization workloads: throughput, memory floor, peak memory, error");
  std::vector<std::string> workloads = workload_names();
  workloads.push_back("all");
  command
      ->add_option("--workload", options->workloads,
                   "scalar-pertensor, scalar-group16, scalar-smallblocks, scalar-allvalues, "
                   "vector, checkpoint, real-checkpoint or all (repeatable, or a comma list; "
                   "default all)")
      ->delimiter(',')
      ->check(CLI::IsMember(workloads));
  add_backend_options(*command, options->backend, options->threads);
  auto* repeat = command->add_option("--repeat", options->repeat,
                                     "measured runs per case; the median is reported (default 5)");
  repeat->check(CLI::PositiveNumber);
  auto* warmup = command->add_option("--warmup", options->warmup,
                                     "untimed runs before the measured ones (default 1)");
  warmup->check(CLI::NonNegativeNumber);
  command
      ->add_option("--budget", options->budget,
                   "stop repeating a case once its measured runs take this many seconds (at "
                   "least one run; 0 = no limit; default 120)")
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--quick", options->quick,
                    "small shapes, one run and no warm-up (unless --repeat/--warmup say)");
  command->add_option("--input", options->input,
                      "take the data from this checkpoint: each tensor workload uses its largest "
                      "fitting 2-D tensor, the checkpoint workloads palettize it whole");
  command
      ->add_option("--shape", options->shape,
                   "ROWSxCOLS for the generated tensor workloads (not checkpoint)")
      ->check(rows_by_cols());
  command->add_option("--save-data", options->save_data,
                      "write each workload's tensors to DIR/<workload>.safetensors");
  command->add_option("--scratch", options->scratch,
                      "where the checkpoint workloads write (default: $TMPDIR or /tmp)");
  command->add_option("--seed", options->seed, "seed of the generated data (default 0)");
  command->add_flag("--json", options->json, "print the results as JSON");
  command->add_option("--report", options->report,
                      "also write the JSON document to this file (with the table on stdout)");
  command->add_flag("--quiet", options->quiet, "no progress on stderr");
  command->callback([options, repeat, warmup] {
    BenchOptions effective = *options;
    if (effective.quick && repeat->count() == 0)
      effective.repeat = 1;
    if (effective.quick && warmup->count() == 0)
      effective.warmup = 0;
    run_bench(effective);
  });
}

}  // namespace kmlut::cli
