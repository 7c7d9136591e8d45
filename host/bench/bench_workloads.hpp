// The workloads of `kmlut bench` (docs/benchmarks.md): named sets of tensors and the cases run on
// them. A tensor workload's data is generated deterministically (synthetic_weights.hpp) or taken
// from a user's checkpoint (--input); each case is one Backend::run_batch over its requests. The
// checkpoint workload (bench_checkpoint.hpp) runs the whole pipeline instead.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kmlut/palettize.hpp"
#include "kmlut/spec.hpp"

namespace kmlut::bench {

// A tensor a workload owns.
struct BenchTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;

  TensorView view() const { return {dtype, shape, bytes.data()}; }
};

// What one run of a case did. The work is deterministic, so every run gives the same outcome.
struct CaseOutcome {
  std::uint64_t weights = 0;         // values of the palettized tensors
  std::uint64_t bytes_read = 0;      // input bytes the work must read at least once
  std::uint64_t bytes_written = 0;   // output bytes it must write at least once
  std::size_t palettized = 0;        // tensors palettized
  std::size_t skipped = 0;           // tensors the backend left dense
  std::string skip_reason;           // the first skipped tensor's reason
  double sse = 0;                    // Σ (W − Ŵ)² over the palettized tensors
  double weight_sq_norm = 0;         // Σ W² over them (0 when unknown)
  std::size_t lloyd_iterations = 0;  // vector path: Lloyd iterations, every block and restart
};

struct BenchCase {
  std::string name;                       // "w4", "d2-k16"
  std::string description;                // "4096x11008 F16, 4-bit per_tensor"
  std::optional<PalettizationSpec> spec;  // tensor cases: the spec of every request
  bool fast_mode = true;
  std::string config;                // the checkpoint case: the preset it palettizes with
  std::vector<std::string> tensors;  // the workload tensors the case reads
  std::string skip_reason;           // known before running: the backend will not do it
  bool end_to_end = false;           // timed on the host clock whatever the backend (IO included)
  std::function<CaseOutcome(Backend&)> run;
};

struct Workload {
  std::string name;
  std::string source;                // where the data came from, for people
  std::vector<BenchTensor> tensors;  // what the cases run on (--save-data writes them)
  std::vector<BenchCase> cases;
  std::shared_ptr<void> resources;  // kept alive while the cases run (a generated checkpoint)
};

struct WorkloadOptions {
  bool quick = false;               // small shapes, for tests and smoke runs
  std::uint64_t seed = 0;           // of the generated data
  std::string input;                // a user checkpoint instead of generated data
  std::vector<std::int64_t> shape;  // --shape: overrides the generated tensor workloads' shape
  unsigned threads = 1;             // for generating data
  std::string scratch;              // where the checkpoint workload writes ("" = $TMPDIR)
};

// Every workload, in the order "all" runs them.
const std::vector<std::string>& workload_names();

// Expands "all" and comma lists, keeps the catalog's order and drops repeats. Throws ConfigError
// naming an unknown workload.
std::vector<std::string> select_workloads(const std::vector<std::string>& requested);

// Builds a workload: generates or reads its data, plans its cases. Throws ConfigError for an
// unknown name, InputError for an --input that has no tensor the workload can use.
Workload make_workload(const std::string& name, const WorkloadOptions& options);

// The number of elements of a shape.
std::uint64_t element_count(const std::vector<std::int64_t>& shape);

// A case that runs `requests` as one batch (each request's view points into the workload's
// tensors) and sums their results.
BenchCase tensor_case(std::string name, std::string description,
                      std::vector<PalettizeRequest> requests);

}  // namespace kmlut::bench
