#include "host/bench/bench_checkpoint.hpp"

#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <system_error>

#include "host/bench/synthetic_weights.hpp"
#include "host/report/text_table.hpp"
#include "kmlut/checkpoint.hpp"
#include "kmlut/error.hpp"
#include "kmlut/model.hpp"
#include "kmlut/pipeline.hpp"
#include "kmlut/plan.hpp"
#include "kmlut/safetensors_writer.hpp"

namespace kmlut::bench {
namespace {

namespace fs = std::filesystem;

// A Llama-family decoder's tensor shapes (TinyLlama 1.1B at full size).
struct LlamaShape {
  int layers;
  std::int64_t hidden;
  std::int64_t intermediate;
  std::int64_t kv;  // key/value projection rows (grouped-query attention)
  std::int64_t vocab;
};

constexpr LlamaShape kTinyLlama{22, 2048, 5632, 256, 32000};
constexpr LlamaShape kQuickLlama{2, 128, 352, 32, 512};

std::vector<OutputTensor> llama_tensors(const LlamaShape& s) {
  std::vector<OutputTensor> tensors;
  auto add = [&tensors](std::string name, std::vector<std::int64_t> shape) {
    tensors.push_back({std::move(name), DType::F16, std::move(shape)});
  };
  add("model.embed_tokens.weight", {s.vocab, s.hidden});
  for (int i = 0; i < s.layers; ++i) {
    const std::string layer = "model.layers." + std::to_string(i);
    add(layer + ".input_layernorm.weight", {s.hidden});
    add(layer + ".self_attn.q_proj.weight", {s.hidden, s.hidden});
    add(layer + ".self_attn.k_proj.weight", {s.kv, s.hidden});
    add(layer + ".self_attn.v_proj.weight", {s.kv, s.hidden});
    add(layer + ".self_attn.o_proj.weight", {s.hidden, s.hidden});
    add(layer + ".post_attention_layernorm.weight", {s.hidden});
    add(layer + ".mlp.gate_proj.weight", {s.intermediate, s.hidden});
    add(layer + ".mlp.up_proj.weight", {s.intermediate, s.hidden});
    add(layer + ".mlp.down_proj.weight", {s.hidden, s.intermediate});
  }
  add("model.norm.weight", {s.hidden});
  add("lm_head.weight", {s.vocab, s.hidden});
  return tensors;
}

// Norm weights are ones, every matrix is LLM-like noise from its own stream.
void write_llama_checkpoint(const fs::path& path, const LlamaShape& shape, std::uint64_t seed,
                            unsigned threads) {
  const std::vector<OutputTensor> tensors = llama_tensors(shape);
  SafetensorsWriter writer(path, tensors, {{"format", "pt"}});
  std::uint64_t stream = 100;
  for (const OutputTensor& tensor : tensors) {
    const std::uint64_t numel = element_count(tensor.shape);
    std::vector<std::uint8_t> bytes;
    if (tensor.shape.size() == 1) {
      bytes.resize(numel * 2);
      for (std::uint64_t i = 0; i < numel; ++i) {
        bytes[2 * i] = 0x00;  // fp16 1.0 = 0x3C00, little-endian
        bytes[2 * i + 1] = 0x3C;
      }
    } else {
      bytes = llm_like_tensor(DType::F16, numel, seed, stream++, threads);
    }
    writer.write(tensor.name, {bytes.data(), bytes.size()});
  }
  writer.commit();
}

// A directory made for this run and removed with everything in it when destroyed.
class ScopedDirectory {
 public:
  explicit ScopedDirectory(const std::string& parent) {
    const fs::path base = parent.empty() ? fs::temp_directory_path() : fs::path(parent);
    std::string pattern = (base / "kmlut-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw Error("kmlut bench: cannot create a temporary directory under " + base.string());
    path_ = pattern;
  }
  ScopedDirectory(const ScopedDirectory&) = delete;
  ScopedDirectory& operator=(const ScopedDirectory&) = delete;
  ~ScopedDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// What the case's runs share. Members are destroyed in reverse order: the checkpoint's mappings
// go before its directory.
struct CheckpointRun {
  explicit CheckpointRun(const std::string& scratch) : directory(scratch) {}
  ScopedDirectory directory;
  std::optional<Checkpoint> checkpoint;  // opened once the input is written
  Plan plan;
  fs::path output;
};

CaseOutcome outcome_of(const PipelineReport& report) {
  CaseOutcome outcome;
  outcome.bytes_read = report.bytes_in;
  outcome.bytes_written = report.bytes_out;
  for (const TensorReport& tensor : report.tensors) {
    if (tensor.status == TensorStatus::Skipped) {
      ++outcome.skipped;
      if (outcome.skip_reason.empty())
        outcome.skip_reason = tensor.name + ": " + tensor.reason;
    }
    if (tensor.status != TensorStatus::Palettized)
      continue;
    ++outcome.palettized;
    outcome.weights += element_count(tensor.shape);
    outcome.sse += tensor.sse;
    // The report gives rel_error = sqrt(sse / ΣW²), which recovers ΣW² (not for an exact tensor).
    if (tensor.rel_error > 0)
      outcome.weight_sq_norm += tensor.sse / (tensor.rel_error * tensor.rel_error);
  }
  return outcome;
}

}  // namespace

Workload checkpoint_workload(const WorkloadOptions& options) {
  auto run = std::make_shared<CheckpointRun>(options.scratch);
  Workload workload{"checkpoint", "", {}, {}, run};
  fs::path input = options.input;
  if (input.empty()) {
    const LlamaShape& shape = options.quick ? kQuickLlama : kTinyLlama;
    input = run->directory.path() / "model.safetensors";
    const auto started = std::chrono::steady_clock::now();
    write_llama_checkpoint(input, shape, options.seed, options.threads);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char generated[64];
    std::snprintf(generated, sizeof generated, "%.1f s", seconds);
    workload.source =
        std::string("generated TinyLlama-shaped F16 checkpoint (") + std::to_string(shape.layers) +
        " layers, hidden " + std::to_string(shape.hidden) + ", intermediate " +
        std::to_string(shape.intermediate) + ", vocab " + std::to_string(shape.vocab) + "), seed " +
        std::to_string(options.seed) + ", written in " + generated + " (not timed)";
  } else {
    workload.source = "input " + options.input;
  }
  run->checkpoint.emplace(Checkpoint::open(input));
  run->output = run->checkpoint->layout() == Checkpoint::Layout::SingleFile
                    ? run->directory.path() / "palettized.safetensors"
                    : run->directory.path() / "palettized";
  std::vector<TensorInfo> tensors;
  std::uint64_t bytes = 0;
  for (const Checkpoint::TensorRef& ref : run->checkpoint->tensors()) {
    tensors.push_back(*ref.info);
    bytes += ref.info->nbytes();
  }
  run->plan = resolve_plan(KMeansPalettizerConfig::w4(), infer_model_description(tensors), tensors);

  BenchCase bench_case;
  bench_case.name = "w4";
  bench_case.description = std::to_string(tensors.size()) + " tensors, " +
                           reporting::format_bytes(bytes) + ", " +
                           std::to_string(run->plan.palettized_count()) +
                           " selected by the w4 preset; read, cluster, write";
  bench_case.config = "w4";
  bench_case.end_to_end = true;
  bench_case.run = [run](Backend& backend) {
    return outcome_of(
        palettize_checkpoint(*run->checkpoint, run->plan, run->output, backend, PipelineOptions{}));
  };
  workload.cases.push_back(std::move(bench_case));
  return workload;
}

}  // namespace kmlut::bench
