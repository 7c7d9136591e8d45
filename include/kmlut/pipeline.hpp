// The checkpoint pipeline: a checkpoint and its plan in, a kmlut v1 checkpoint and a
// report out. Tensors stream through in batches sized to a memory budget; clustering a batch
// overlaps with writing the previous one; every output file appears atomically or not at all.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kmlut/checkpoint.hpp"
#include "kmlut/palettize.hpp"
#include "kmlut/plan.hpp"

namespace kmlut {

struct PipelineOptions {
  // Bytes of tensor data one batch may hold in flight (inputs and results); 0 = a quarter of the
  // available memory (MemAvailable, lowered to the cgroup's limit minus usage), at least 256 MiB.
  std::uint64_t memory_budget = 0;
  // A tensor the config selects but that cannot be palettized is an error instead of a skip.
  bool strict = false;
  // Seed of the vector path's k-means++ (passed to every request; the scalar path is exact).
  std::uint64_t seed = 0;
  // Per-element sensitivities (`kmlut palettize --sensitivities`): a checkpoint holding, for every
  // palettized tensor, a float tensor of the same name and shape. A missing or mismatched one is
  // an InputError naming the tensor, raised before any output is written. Not owned.
  const Checkpoint* sensitivities = nullptr;
};

enum class TensorStatus { Palettized, Skipped, Copied };

struct TensorReport {
  std::string name;
  std::vector<std::int64_t> shape;
  DType dtype = DType::F32;
  TensorStatus status = TensorStatus::Copied;
  std::string reason;                     // why skipped or copied
  std::optional<PalettizationSpec> spec;  // the resolved spec when the config selected it
  bool fast_mode = true;
  std::size_t num_luts = 0;
  double sse = 0.0;
  double rel_error = 0.0;
  std::size_t lloyd_iterations = 0;  // vector path: Lloyd iterations over all blocks and runs
  double seconds = 0.0;              // clustering time of the batch, shared out by tensor size
  std::uint64_t bytes_in = 0;        // the tensor's bytes in the input
  std::uint64_t bytes_out = 0;       // its stored parts' bytes when palettized, else bytes_in
};

struct PipelineReport {
  std::string backend;
  double seconds = 0.0;
  // Where the time went: reading and checking the input (the preflight pass), clustering, and
  // writing (copies included; it overlaps clustering, so the parts may add up to more than
  // seconds).
  double read_seconds = 0.0;
  double cluster_seconds = 0.0;
  double write_seconds = 0.0;
  BackendPhaseSeconds cluster_phases;  // inside clustering, summed over every tensor's blocks
  std::vector<TensorReport> tensors;
  std::uint64_t bytes_in = 0;   // Σ input tensor bytes
  std::uint64_t bytes_out = 0;  // Σ output tensor bytes
  std::size_t count(TensorStatus status) const;
};

struct PipelineProgress {
  std::size_t tensors_done = 0;
  std::size_t tensors_total = 0;
  std::uint64_t bytes_done = 0;  // input bytes
  std::uint64_t bytes_total = 0;
  std::string current;  // the tensor last finished
};

// Called once per finished tensor, never twice at once: on the calling thread while tensors that
// stay dense are copied, then on the pipeline's writer thread (one std::async task at a time) for
// the palettized ones. It must not throw; it should return quickly, as writing waits for it.
using ProgressCallback = std::function<void(const PipelineProgress&)>;

// Palettizes `input` as `plan` says into `output` (the plan must hold one job per checkpoint
// tensor, in checkpoint order, as resolve_plan gives it for the checkpoint's tensors): a file for a
// single-file checkpoint, a directory (created if needed) holding shards named like the input's and
// a model.safetensors.index.json for a sharded one. Existing files at the output paths are replaced
// only at the very end, on success; each file is replaced atomically, the shards of a sharded
// output one after another, index last. Throws Error (IO, strict skips) or InputError (a malformed
// tensor).
PipelineReport palettize_checkpoint(const Checkpoint& input, const Plan& plan,
                                    const std::filesystem::path& output, Backend& backend,
                                    const PipelineOptions& options,
                                    const ProgressCallback& progress = {});

}  // namespace kmlut
