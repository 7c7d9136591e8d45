// The results of `kmlut bench` and their two renderings: an aligned text table for people and a
// JSON document (--json) for scripts such as bench/peers. Every derived number (throughput, the
// floor, the relative error) is computed here once, so the two renderings cannot disagree. The
// JSON fields are documented in docs/benchmarks.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "host/bench/bench_timing.hpp"
#include "host/bench/bench_workloads.hpp"
#include "host/bench/memory_bandwidth.hpp"

namespace kmlut::bench {

struct CaseResult {
  std::string name;
  std::string description;
  std::optional<PalettizationSpec> spec;
  bool fast_mode = true;
  std::string config;
  std::vector<std::string> tensors;
  bool skipped = false;     // nothing was palettized: no timing
  std::string skip_reason;  // also set when only some tensors were skipped
  int warmup = 0;
  std::string timer;  // what timed the runs
  RunSeries runs;
  CaseOutcome outcome;
  std::uint64_t peak_memory_bytes = 0;
};

struct TensorSummary {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
};

struct WorkloadResult {
  std::string name;
  std::string source;
  std::vector<TensorSummary> tensors;
  std::string data_file;  // where --save-data wrote the tensors
  std::vector<CaseResult> cases;
};

struct BenchReport {
  std::string command;  // a command line that reproduces the run
  std::string date;     // UTC, ISO 8601
  std::string backend;
  std::string device;
  unsigned threads = 1;
  std::string timer;
  bool quick = false;
  RepeatPolicy policy;
  std::uint64_t seed = 0;
  std::string input;
  ReadBandwidth bandwidth;
  std::string peak_memory_method;
  std::vector<WorkloadResult> workloads;
};

nlohmann::ordered_json bench_json(const BenchReport& report);

void print_bench_table(const BenchReport& report, std::ostream& out);

}  // namespace kmlut::bench
