#include "host/bench/bench_checkpoint.hpp"

#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <system_error>

#include "host/bench/synthetic_weights.hpp"
#include "host/palettize/float_format_dispatch.hpp"
#include "host/report/text_table.hpp"
#include "kmlut/checkpoint.hpp"
#include "kmlut/config_io.hpp"
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

// A BERT encoder's tensor shapes (all-MiniLM-L6-v2 at full size), in F32.
struct BertShape {
  int layers;
  std::int64_t hidden;
  std::int64_t vocab;
};

constexpr BertShape kMiniLM{6, 384, 30522};
constexpr BertShape kQuickBert{2, 64, 512};

std::vector<OutputTensor> bert_tensors(const BertShape& s) {
  const std::int64_t hidden = s.hidden;
  std::vector<OutputTensor> tensors;
  auto add = [&tensors](std::string name, std::vector<std::int64_t> shape) {
    tensors.push_back({std::move(name), DType::F32, std::move(shape)});
  };
  auto dense = [&add](const std::string& name, std::int64_t rows, std::int64_t cols) {
    add(name + ".weight", {rows, cols});
    add(name + ".bias", {rows});
  };
  add("embeddings.word_embeddings.weight", {s.vocab, hidden});
  add("embeddings.position_embeddings.weight", {512, hidden});
  add("embeddings.token_type_embeddings.weight", {2, hidden});
  add("embeddings.LayerNorm.weight", {hidden});
  for (int i = 0; i < s.layers; ++i) {
    const std::string layer = "encoder.layer." + std::to_string(i);
    for (const char* projection : {"query", "key", "value"})
      dense(layer + ".attention.self." + projection, hidden, hidden);
    dense(layer + ".attention.output.dense", hidden, hidden);
    add(layer + ".attention.output.LayerNorm.weight", {hidden});
    dense(layer + ".intermediate.dense", 4 * hidden, hidden);
    dense(layer + ".output.dense", hidden, 4 * hidden);
    add(layer + ".output.LayerNorm.weight", {hidden});
  }
  dense("pooler.dense", hidden, hidden);
  return tensors;
}

// Norm weights are ones, every other tensor is LLM-like noise from its own stream.
void write_generated_checkpoint(const fs::path& path, const std::vector<OutputTensor>& tensors,
                                std::uint64_t seed, unsigned threads) {
  SafetensorsWriter writer(path, tensors, {{"format", "pt"}});
  std::uint64_t stream = 100;
  for (const OutputTensor& tensor : tensors) {
    const std::uint64_t numel = element_count(tensor.shape);
    std::vector<std::uint8_t> bytes;
    if (tensor.name.find("norm") != std::string::npos ||
        tensor.name.find("LayerNorm") != std::string::npos) {
      bytes = palettize::with_float_format(tensor.dtype, [&](auto tag) {
        using Storage = typename decltype(tag)::Storage;
        std::vector<std::uint8_t> ones(numel * sizeof(Storage));
        const Storage one = decltype(tag)::Format::from_double(1.0);
        for (std::uint64_t i = 0; i < numel; ++i)
          std::memcpy(ones.data() + i * sizeof(Storage), &one, sizeof(Storage));
        return ones;
      });
    } else {
      bytes = llm_like_tensor(tensor.dtype, numel, seed, stream++, threads);
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

// What a case's runs share: its input checkpoint, plan and output path. Members are destroyed in
// reverse order: the checkpoint's mappings go before the directory holding it.
struct CheckpointCase {
  std::optional<Checkpoint> checkpoint;
  Plan plan;
  fs::path output;
};

struct CheckpointRun {
  explicit CheckpointRun(const std::string& scratch) : directory(scratch) {}
  ScopedDirectory directory;
  std::vector<std::unique_ptr<CheckpointCase>> cases;
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

// A case that palettizes `input` whole with `config` into the run's directory.
BenchCase checkpoint_case(CheckpointRun& run, const fs::path& input, std::string name,
                          std::string config_label, const KMeansPalettizerConfig& config) {
  auto target = std::make_unique<CheckpointCase>();
  target->checkpoint.emplace(Checkpoint::open(input));
  target->output = run.directory.path() / ("palettized-" + name);
  if (target->checkpoint->layout() == Checkpoint::Layout::SingleFile)
    target->output += ".safetensors";
  std::vector<TensorInfo> tensors;
  std::uint64_t bytes = 0;
  for (const Checkpoint::TensorRef& ref : target->checkpoint->tensors()) {
    tensors.push_back(*ref.info);
    bytes += ref.info->nbytes();
  }
  target->plan = resolve_plan(config, infer_model_description(tensors), tensors);

  BenchCase bench_case;
  bench_case.name = std::move(name);
  bench_case.description = std::to_string(tensors.size()) + " tensors, " +
                           reporting::format_bytes(bytes) + ", " +
                           std::to_string(target->plan.palettized_count()) + " selected by " +
                           config_label + "; read, cluster, write";
  bench_case.config = bench_case.name;
  bench_case.end_to_end = true;
  CheckpointCase* ready = target.get();
  bench_case.run = [ready](Backend& backend) {
    return outcome_of(palettize_checkpoint(*ready->checkpoint, ready->plan, ready->output, backend,
                                           PipelineOptions{}));
  };
  run.cases.push_back(std::move(target));
  return bench_case;
}

std::string written_in(std::chrono::steady_clock::time_point started) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char text[64];
  std::snprintf(text, sizeof text, ", written in %.1f s (not timed)", seconds);
  return text;
}

// `input` with every float tensor cast to `dtype` (through double: one rounding, as torch's .to()),
// other tensors copied, into `path`.
void write_recast(const Checkpoint& input, DType dtype, const fs::path& path) {
  std::vector<OutputTensor> tensors;
  for (const Checkpoint::TensorRef& ref : input.tensors()) {
    const bool cast = is_palettizable_dtype(ref.info->dtype);
    tensors.push_back({ref.info->name, cast ? dtype : ref.info->dtype, ref.info->shape});
  }
  SafetensorsWriter writer(path, tensors, {{"format", "pt"}});
  std::size_t t = 0;
  for (const Checkpoint::TensorRef& ref : input.tensors()) {
    const ByteView data = input.data(ref);
    if (tensors[t].dtype == ref.info->dtype) {
      writer.write(ref.info->name, data);
    } else {
      const std::vector<std::uint8_t> cast =
          palettize::with_float_format(ref.info->dtype, [&](auto from) {
            return palettize::with_float_format(dtype, [&](auto to) {
              using From = decltype(from);
              using To = decltype(to);
              const std::uint64_t numel = ref.info->numel();
              std::vector<std::uint8_t> out(numel * sizeof(typename To::Storage));
              for (std::uint64_t i = 0; i < numel; ++i) {
                typename From::Storage value;
                std::memcpy(&value, data.data + i * sizeof value, sizeof value);
                const auto converted = To::Format::from_double(From::Format::to_double(value));
                std::memcpy(out.data() + i * sizeof converted, &converted, sizeof converted);
              }
              return out;
            });
          });
      writer.write(ref.info->name, {cast.data(), cast.size()});
    }
    input.release(ref);
    ++t;
  }
  writer.commit();
}

// Issue 13's configurations, as bench/peers/coreai_peers.py gives them to coreai_opt too: each
// with the dtype the checkpoint is recast to.
struct RealConfig {
  const char* name;
  DType dtype;
  const char* yaml;
};

const RealConfig kRealConfigs[] = {
    {"w4-g16-fp16", DType::F16,
     "kmeans_palettization_config:\n  global_config:\n    op_state_spec: {weight: {n_bits: 4, "
     "granularity: {type: per_grouped_channel, group_size: 16}}}\n"},
    {"w6-per-tensor-bf16", DType::BF16,
     "kmeans_palettization_config:\n  global_config:\n    op_state_spec: {weight: {n_bits: "
     "6}}\n"},
    {"w3-all-values-fp32-axis1-g64", DType::F32,
     "kmeans_palettization_config:\n  global_config:\n    enable_fast_kmeans_mode: false\n    "
     "op_state_spec: {weight: {n_bits: 3, granularity: {type: per_grouped_channel, axis: 1, "
     "group_size: 64}}}\n"},
    {"vector-d4-fp32-4-tensors", DType::F32,
     "kmeans_palettization_config:\n  global_config: null\n  module_name_configs:\n    "
     "'encoder\\.layer\\.0\\.attention\\.(self\\.(query|key|value)|output\\.dense)':\n"
     "      enable_fast_kmeans_mode: false\n      op_state_spec: {weight: {n_bits: 4, "
     "cluster_dim: 4}}\n"},
};

}  // namespace

Workload checkpoint_workload(const WorkloadOptions& options) {
  auto run = std::make_shared<CheckpointRun>(options.scratch);
  Workload workload{"checkpoint", "", {}, {}, run};
  fs::path input = options.input;
  if (input.empty()) {
    const LlamaShape& shape = options.quick ? kQuickLlama : kTinyLlama;
    input = run->directory.path() / "model.safetensors";
    const auto started = std::chrono::steady_clock::now();
    write_generated_checkpoint(input, llama_tensors(shape), options.seed, options.threads);
    workload.source =
        std::string("generated TinyLlama-shaped F16 checkpoint (") + std::to_string(shape.layers) +
        " layers, hidden " + std::to_string(shape.hidden) + ", intermediate " +
        std::to_string(shape.intermediate) + ", vocab " + std::to_string(shape.vocab) + "), seed " +
        std::to_string(options.seed) + written_in(started);
  } else {
    workload.source = "input " + options.input;
  }
  workload.cases.push_back(
      checkpoint_case(*run, input, "w4", "the w4 preset", KMeansPalettizerConfig::w4()));
  return workload;
}

Workload real_checkpoint_workload(const WorkloadOptions& options) {
  auto run = std::make_shared<CheckpointRun>(options.scratch);
  Workload workload{"real-checkpoint", "", {}, {}, run};
  fs::path input = options.input;
  const auto started = std::chrono::steady_clock::now();
  if (input.empty()) {
    const BertShape& shape = options.quick ? kQuickBert : kMiniLM;
    input = run->directory.path() / "bert.safetensors";
    write_generated_checkpoint(input, bert_tensors(shape), options.seed, options.threads);
    workload.source = "generated all-MiniLM-L6-v2-shaped F32 checkpoint (" +
                      std::to_string(shape.layers) + " layers, hidden " +
                      std::to_string(shape.hidden) + ", vocab " + std::to_string(shape.vocab) +
                      "), seed " + std::to_string(options.seed);
  } else {
    workload.source = "input " + options.input;
  }
  const Checkpoint source = Checkpoint::open(input);
  std::map<DType, fs::path> recast;
  for (const RealConfig& config : kRealConfigs) {
    fs::path& path = recast[config.dtype];
    if (path.empty()) {
      path = run->directory.path() / (std::string(dtype_name(config.dtype)) + ".safetensors");
      write_recast(source, config.dtype, path);
    }
    workload.cases.push_back(checkpoint_case(
        *run, path, config.name,
        std::string("its config, recast to ") + std::string(dtype_name(config.dtype)),
        config_from_yaml(config.yaml, config.name)));
  }
  workload.source += ", recast per case" + written_in(started);
  return workload;
}

}  // namespace kmlut::bench
