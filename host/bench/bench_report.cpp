#include "host/bench/bench_report.hpp"

#include <cmath>
#include <cstdio>

#include "host/report/json_number.hpp"
#include "host/report/spec_json.hpp"
#include "host/report/text_table.hpp"
#include "kmlut/version.hpp"

namespace kmlut::bench {
namespace {

using Json = nlohmann::ordered_json;

// The numbers derived from a measured case.
struct CaseMetrics {
  double seconds = 0;  // median
  double weights_per_second = 0;
  double gb_per_second = 0;       // bytes moved (read + written) per second, 1e9 bytes
  std::uint64_t bytes_moved = 0;  // the least the work must read and write
  double floor_seconds = 0;       // bytes_moved at the measured read bandwidth
  double fraction_of_floor = 0;   // floor_seconds / seconds: 1 = as fast as memory allows
  std::optional<double> rel_error;
};

CaseMetrics metrics_of(const CaseResult& result, const ReadBandwidth& bandwidth) {
  CaseMetrics metrics;
  metrics.seconds = result.runs.median();
  metrics.bytes_moved = result.outcome.bytes_read + result.outcome.bytes_written;
  if (metrics.seconds > 0) {
    metrics.weights_per_second = static_cast<double>(result.outcome.weights) / metrics.seconds;
    metrics.gb_per_second = static_cast<double>(metrics.bytes_moved) / metrics.seconds / 1e9;
  }
  if (bandwidth.bytes_per_second > 0)
    metrics.floor_seconds = static_cast<double>(metrics.bytes_moved) / bandwidth.bytes_per_second;
  if (metrics.seconds > 0)
    metrics.fraction_of_floor = metrics.floor_seconds / metrics.seconds;
  if (result.outcome.weight_sq_norm > 0)
    metrics.rel_error = std::sqrt(result.outcome.sse / result.outcome.weight_sq_norm);
  return metrics;
}

Json case_json(const CaseResult& result, const ReadBandwidth& bandwidth) {
  Json entry;
  entry["name"] = result.name;
  entry["description"] = result.description;
  entry["tensors"] = result.tensors;
  entry["spec"] = reporting::spec_json(result.spec);
  entry["fast_mode"] = result.spec ? Json(result.fast_mode) : Json();
  entry["config"] = result.config.empty() ? Json() : Json(result.config);
  entry["status"] = result.skipped ? "skipped" : "ok";
  entry["skip_reason"] = result.skip_reason.empty() ? Json() : Json(result.skip_reason);
  const bool ran = !result.skipped;
  const CaseMetrics metrics = metrics_of(result, bandwidth);
  entry["timer"] = ran ? Json(result.timer) : Json();
  entry["warmup"] = ran ? Json(result.warmup) : Json();
  entry["runs"] = ran ? Json(result.runs.seconds.size()) : Json();
  entry["seconds"] = ran ? reporting::finite_or_null<Json>(metrics.seconds) : Json();
  entry["seconds_min"] = ran ? reporting::finite_or_null<Json>(result.runs.min()) : Json();
  entry["seconds_all"] = ran ? Json(result.runs.seconds) : Json();
  const std::vector<PhaseTime> phases = result.runs.median_phases();
  Json phase_seconds = phases.empty() ? Json() : Json::object();
  for (const PhaseTime& phase : phases)
    phase_seconds[phase.name] = reporting::finite_or_null<Json>(phase.seconds);
  entry["phase_seconds"] = ran ? phase_seconds : Json();
  entry["weights"] = ran ? Json(result.outcome.weights) : Json();
  entry["tensors_palettized"] = ran ? Json(result.outcome.palettized) : Json();
  entry["tensors_skipped"] = ran ? Json(result.outcome.skipped) : Json();
  entry["bytes_read"] = ran ? Json(result.outcome.bytes_read) : Json();
  entry["bytes_written"] = ran ? Json(result.outcome.bytes_written) : Json();
  entry["bytes_moved"] = ran ? Json(metrics.bytes_moved) : Json();
  entry["weights_per_second"] =
      ran ? reporting::finite_or_null<Json>(metrics.weights_per_second) : Json();
  entry["gb_per_second"] = ran ? reporting::finite_or_null<Json>(metrics.gb_per_second) : Json();
  entry["floor_seconds"] = ran ? reporting::finite_or_null<Json>(metrics.floor_seconds) : Json();
  entry["fraction_of_floor"] =
      ran ? reporting::finite_or_null<Json>(metrics.fraction_of_floor) : Json();
  entry["peak_memory_bytes"] = ran ? Json(result.peak_memory_bytes) : Json();
  const bool iterated = ran && result.outcome.lloyd_iterations > 0;
  entry["lloyd_iterations"] = iterated ? Json(result.outcome.lloyd_iterations) : Json();
  entry["seconds_per_iteration"] =
      iterated ? reporting::finite_or_null<Json>(
                     metrics.seconds / static_cast<double>(result.outcome.lloyd_iterations))
               : Json();
  entry["sse"] = ran ? reporting::finite_or_null<Json>(result.outcome.sse) : Json();
  entry["rel_error"] =
      ran && metrics.rel_error ? reporting::finite_or_null<Json>(*metrics.rel_error) : Json();
  return entry;
}

std::string printf_text(const char* format, double value) {
  char text[48];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// 85.2 M, 1.03 G: three significant digits and an SI prefix.
std::string si(double value) {
  static const char* const prefixes[] = {"", " k", " M", " G", " T"};
  std::size_t prefix = 0;
  while (std::fabs(value) >= 1000 && prefix + 1 < std::size(prefixes)) {
    value /= 1000;
    ++prefix;
  }
  return printf_text("%.3g", value) + prefixes[prefix];
}

// "scale 0.012 ms, histograms 0.31 ms, ...".
std::string phase_list(const std::vector<PhaseTime>& phases) {
  std::string text;
  for (const PhaseTime& phase : phases)
    text +=
        (text.empty() ? "" : ", ") + phase.name + " " + printf_text("%.3g ms", 1e3 * phase.seconds);
  return text;
}

}  // namespace

Json bench_json(const BenchReport& report) {
  Json document;
  document["kmlut_version"] = kVersion;
  document["command"] = report.command;
  document["date"] = report.date;
  document["backend"] = report.backend;
  document["device"] = report.device;
  document["threads"] = report.threads;
  document["timer"] = report.timer;
  document["quick"] = report.quick;
  document["warmup"] = report.policy.warmup;
  document["repeat"] = report.policy.repeat;
  document["budget_seconds"] = report.policy.budget_seconds;
  document["seed"] = report.seed;
  document["input"] = report.input.empty() ? Json() : Json(report.input);
  document["memory_bandwidth"] = {{"read_bytes_per_second", report.bandwidth.bytes_per_second},
                                  {"probe_bytes", report.bandwidth.probe_bytes},
                                  {"threads", report.bandwidth.threads},
                                  {"passes", report.bandwidth.passes}};
  document["peak_memory_method"] = report.peak_memory_method;
  document["workloads"] = Json::array();
  for (const WorkloadResult& workload : report.workloads) {
    Json entry;
    entry["name"] = workload.name;
    entry["source"] = workload.source;
    entry["tensors"] = Json::array();
    for (const TensorSummary& tensor : workload.tensors) {
      entry["tensors"].push_back({{"name", tensor.name},
                                  {"dtype", std::string(dtype_name(tensor.dtype))},
                                  {"shape", tensor.shape}});
    }
    entry["data_file"] = workload.data_file.empty() ? Json() : Json(workload.data_file);
    entry["cases"] = Json::array();
    for (const CaseResult& result : workload.cases)
      entry["cases"].push_back(case_json(result, report.bandwidth));
    document["workloads"].push_back(std::move(entry));
  }
  return document;
}

void print_bench_table(const BenchReport& report, std::ostream& out) {
  out << "kmlut bench: " << report.device << "; " << report.timer << "; median of up to "
      << report.policy.repeat << " runs after " << report.policy.warmup << " warm-up\n"
      << "memory floor: single-pass read at "
      << printf_text("%.1f", report.bandwidth.bytes_per_second / 1e9) << " GB/s ("
      << reporting::format_bytes(report.bandwidth.probe_bytes) << ", " << report.bandwidth.threads
      << (report.bandwidth.threads == 1 ? " thread" : " threads") << ", best of "
      << report.bandwidth.passes << ")\n\n";
  reporting::TextTable table({"workload", "case", "data", "runs", "median s", "weights/s", "GB/s",
                              "of floor", "peak RSS", "SSE", "rel. error", "Lloyd iters",
                              "time/iter"});
  for (const WorkloadResult& workload : report.workloads) {
    for (const CaseResult& result : workload.cases) {
      if (result.skipped) {
        table.add_row(
            {workload.name, result.name, result.description, "skipped: " + result.skip_reason});
        continue;
      }
      const CaseMetrics metrics = metrics_of(result, report.bandwidth);
      const std::size_t iterations = result.outcome.lloyd_iterations;
      table.add_row(
          {workload.name, result.name, result.description,
           std::to_string(result.runs.seconds.size()), printf_text("%.4f", metrics.seconds),
           si(metrics.weights_per_second), printf_text("%.2f", metrics.gb_per_second),
           printf_text("%.2f %%", 100 * metrics.fraction_of_floor),
           reporting::format_bytes(result.peak_memory_bytes),
           printf_text("%.4g", result.outcome.sse),
           metrics.rel_error ? printf_text("%.5f", *metrics.rel_error) : "n/a",
           iterations ? std::to_string(iterations) : "",
           iterations
               ? printf_text("%.3g ms", 1e3 * metrics.seconds / static_cast<double>(iterations))
               : ""});
      if (!result.skip_reason.empty()) {
        table.add_row({"", "",
                       "(" + std::to_string(result.outcome.skipped) +
                           " tensors skipped: " + result.skip_reason + ")"});
      }
      const std::vector<PhaseTime> phases = result.runs.median_phases();
      if (!phases.empty())
        table.add_row({"", "", "(device phases, median: " + phase_list(phases) + ")"});
    }
  }
  table.print(out);
  for (const WorkloadResult& workload : report.workloads) {
    out << "\n" << workload.name << ": " << workload.source;
    if (!workload.data_file.empty())
      out << "; data saved to " << workload.data_file;
  }
  out << "\npeak RSS: " << report.peak_memory_method << "\n";
}

}  // namespace kmlut::bench
