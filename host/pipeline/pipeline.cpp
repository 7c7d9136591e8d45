// The checkpoint pipeline: preflight every job, lay out each output shard, copy what stays dense,
// then cluster the selected tensors batch by batch while the previous batch is being written.
#include "kmlut/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <optional>
#include <unordered_map>

#include "config/key_path.hpp"
#include "host/pipeline/available_memory.hpp"
#include "kmlut/checkpoint_writer.hpp"
#include "kmlut/error.hpp"
#include "kmlut/format.hpp"
#include "kmlut/palettized_output.hpp"

namespace kmlut {

using detail::json_quote;
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kMinimumBudget = std::uint64_t{256} << 20;

template <class Work>
double timed(Work&& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::uint64_t effective_budget(const PipelineOptions& options) {
  if (options.memory_budget != 0)
    return options.memory_budget;
  return std::max(kMinimumBudget, available_memory() / 4);
}

// A selected tensor on its way to the writer.
struct Selected {
  PalettizeRequest request;
  std::size_t report;  // index into the report
  Checkpoint::TensorRef ref;
  const Checkpoint::TensorRef* sensitivity = nullptr;  // in PipelineOptions::sensitivities
};

struct BatchOutput {
  std::vector<const Selected*> tensors;
  std::vector<PalettizeResult> results;
  double seconds = 0.0;
};

std::uint64_t working_bytes(const PalettizeRequest& request) {
  // The input (possibly scaled), one index byte per element, the packed indices and the LUTs;
  // with sensitivities, the mapped tensor and its normalized float32 copy; for vectors, the
  // float32 points and the k-means state per vector.
  const std::uint64_t numel = request.weight.numel();
  std::uint64_t bytes = numel * dtype_bits(request.weight.dtype) / 8 * 2 + numel * 2;
  if (request.sensitivity.data != nullptr)
    bytes += numel * (dtype_bits(request.sensitivity.dtype) / 8 + 4);
  if (request.spec.cluster_dim > 1)
    bytes += numel * 4 + numel / static_cast<std::uint64_t>(request.spec.cluster_dim) * 24;
  return bytes;
}

class CheckpointPalettizer {
 public:
  CheckpointPalettizer(const Checkpoint& input, const Plan& plan,
                       const std::filesystem::path& output, Backend& backend,
                       const PipelineOptions& options, const ProgressCallback& progress)
      : input_(input),
        plan_(plan),
        output_(output),
        backend_(backend),
        options_(options),
        progress_(progress) {}

  PipelineReport run() {
    const auto start = Clock::now();
    report_.backend = backend_.name();
    report_.read_seconds += timed([&] { preflight(); });
    report_.write_seconds += timed([&] {
      open_writers();
      copy_dense_tensors();
    });
    palettize_selected();
    report_.write_seconds += timed([&] { commit(); });
    report_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return std::move(report_);
  }

 private:
  // The report rows, and the copy pass, follow the checkpoint's order; the plan must match it.
  void preflight() {
    progress_state_.tensors_total = plan_.jobs.size();
    if (plan_.jobs.size() != input_.tensors().size()) {
      throw Error("the plan has " + std::to_string(plan_.jobs.size()) + " jobs for " +
                  std::to_string(input_.tensors().size()) +
                  " tensors: resolve the plan for this checkpoint");
    }
    for (std::size_t i = 0; i < plan_.jobs.size(); ++i) {
      const Job& job = plan_.jobs[i];
      const Checkpoint::TensorRef* ref = &input_.tensors()[i];
      if (ref->info->name != job.tensor) {
        throw Error("plan job " + std::to_string(i) + " is tensor " + job.tensor +
                    " where the checkpoint has " + ref->info->name +
                    ": resolve the plan for this checkpoint");
      }
      TensorReport row{job.tensor,
                       job.shape,
                       job.dtype,
                       TensorStatus::Copied,
                       job.decided_by,
                       job.spec,
                       job.enable_fast_kmeans_mode};
      report_.bytes_in += ref->info->nbytes();
      row.bytes_in = row.bytes_out = ref->info->nbytes();
      progress_state_.bytes_total += ref->info->nbytes();
      if (job.spec)
        select(job, *ref, row);
      report_.tensors.push_back(std::move(row));
    }
  }

  void select(const Job& job, const Checkpoint::TensorRef& ref, TensorReport& row) {
    Selected selected;
    selected.request =
        make_palettize_request(job, {job.dtype, job.shape, input_.data(ref).data}, options_.seed);
    selected.report = report_.tensors.size();
    selected.ref = ref;
    const std::string reason = preflight_skip_reason(selected.request, /*check_values=*/true);
    input_.release(ref);  // the values were read once for the check; keep memory flat
    if (reason.empty() && options_.sensitivities != nullptr)
      attach_sensitivity(selected);
    if (reason.empty()) {
      row.status = TensorStatus::Palettized;
      row.reason.clear();
      selected_.push_back(std::move(selected));
      return;
    }
    if (options_.strict) {
      throw Error("tensor " + job.tensor + " cannot be palettized (--strict): " + reason);
    }
    row.status = TensorStatus::Skipped;
    row.reason = reason;
  }

  // The tensor of the same name in the sensitivities checkpoint, checked against the weight.
  void attach_sensitivity(Selected& selected) {
    const Checkpoint& sensitivities = *options_.sensitivities;
    const std::string& name = selected.request.name;
    const Checkpoint::TensorRef* ref = sensitivities.find(name);
    const std::string source = sensitivities.source().string();
    if (ref == nullptr) {
      throw InputError(source + ": no sensitivity tensor " + json_quote(name) +
                       " (every palettized tensor needs one)");
    }
    const TensorInfo& info = *ref->info;
    if (info.shape != selected.request.weight.shape) {
      throw InputError(source + ": sensitivity tensor " + json_quote(name) + " has shape " +
                       shape_text(info.shape) + ", the weight has shape " +
                       shape_text(selected.request.weight.shape));
    }
    if (!is_palettizable_dtype(info.dtype)) {
      throw InputError(source + ": sensitivity tensor " + json_quote(name) + " is " +
                       std::string(dtype_name(info.dtype)) + "; expected F16, BF16, F32 or F64");
    }
    selected.request.sensitivity = {info.dtype, info.shape, sensitivities.data(*ref).data};
    selected.sensitivity = ref;
  }

  // The output mirrors the input's sharding: each tensor, or its parts, in the input's shard.
  void open_writers() {
    std::vector<ShardContents> shards = CheckpointWriter::mirror_shards(input_);
    std::vector<std::vector<PalettizedTensorInfo>> described(shards.size());
    std::unordered_map<std::string, const Selected*> by_name;
    for (const Selected& selected : selected_)
      by_name[selected.request.name] = &selected;
    for (const Checkpoint::TensorRef& ref : input_.tensors()) {
      std::vector<OutputTensor>& tensors = shards[ref.shard].tensors;
      auto it = by_name.find(ref.info->name);
      if (it == by_name.end()) {
        tensors.push_back({ref.info->name, ref.info->dtype, ref.info->shape});
        continue;
      }
      const PalettizeRequest& request = it->second->request;
      const PalettizedTensorInfo info = describe_palettized(request);
      for (OutputTensor& part : palettized_parts(info, palettized_shapes(request)))
        tensors.push_back(std::move(part));
      described[ref.shard].push_back(info);
    }
    for (std::size_t shard = 0; shard < shards.size(); ++shard)
      shards[shard].metadata = kmlut_metadata(described[shard]);
    writer_.emplace(output_, input_.layout(), std::move(shards));
  }

  void copy_dense_tensors() {
    std::size_t row = 0;
    for (const Checkpoint::TensorRef& ref : input_.tensors()) {
      if (report_.tensors[row].status != TensorStatus::Palettized) {
        writer_->write(ref.info->name, input_.data(ref));
        input_.release(ref);
        advance(ref.info->name, ref.info->nbytes());
      }
      ++row;
    }
  }

  void palettize_selected() {
    const std::uint64_t budget = effective_budget(options_);
    std::future<void> writing;
    std::size_t next = 0;
    while (next < selected_.size()) {
      BatchOutput batch;
      std::vector<PalettizeRequest> requests;
      std::uint64_t bytes = 0;
      // Half the budget per batch: one batch is clustered while the previous one is written.
      while (next < selected_.size() &&
             (requests.empty() || bytes + working_bytes(selected_[next].request) <= budget / 2)) {
        bytes += working_bytes(selected_[next].request);
        requests.push_back(selected_[next].request);
        batch.tensors.push_back(&selected_[next]);
        ++next;
      }
      batch.seconds = timed([&] { batch.results = backend_.run_batch(requests); });
      report_.cluster_seconds += batch.seconds;
      for (const PalettizeResult& result : batch.results)
        report_.cluster_phases += result.phases;
      if (writing.valid())
        writing.get();
      writing = std::async(std::launch::async, [this, done = std::move(batch)]() mutable {
        const double seconds = timed([&] { write_batch(done); });
        report_.write_seconds += seconds;  // one writer task at a time
      });
    }
    if (writing.valid())
      writing.get();
  }

  void write_batch(BatchOutput& batch) {
    std::uint64_t batch_elements = 0;
    for (const Selected* selected : batch.tensors)
      batch_elements += selected->request.weight.numel();
    for (std::size_t i = 0; i < batch.tensors.size(); ++i) {
      const Selected& selected = *batch.tensors[i];
      const PalettizeResult& result = batch.results[i];
      if (!result.palettized) {
        throw Error("tensor " + selected.request.name +
                    " passed preflight but the backend skipped it: " + result.skip_reason);
      }
      writer_->write(palettized_output(selected.request, result));
      input_.release(selected.ref);
      if (selected.sensitivity != nullptr)
        options_.sensitivities->release(*selected.sensitivity);
      TensorReport& row = report_.tensors[selected.report];
      row.num_luts = result.num_luts;
      row.bytes_out = result.lut.size() + result.packed_indices.size() + result.scale.size() +
                      result.lut_scale.size() + result.lut_zero_point.size();
      row.lloyd_iterations = result.lloyd_iterations;
      row.sse = result.sse;
      row.rel_error =
          result.weight_sq_norm > 0 ? std::sqrt(result.sse / result.weight_sq_norm) : 0.0;
      row.seconds = batch.seconds * static_cast<double>(selected.request.weight.numel()) /
                    static_cast<double>(std::max<std::uint64_t>(batch_elements, 1));
      advance(selected.request.name,
              selected.request.weight.numel() * dtype_bits(selected.request.weight.dtype) / 8);
    }
  }

  void advance(const std::string& tensor, std::uint64_t bytes) {
    ++progress_state_.tensors_done;
    progress_state_.bytes_done += bytes;
    progress_state_.current = tensor;
    if (progress_)
      progress_(progress_state_);
  }

  void commit() {
    report_.bytes_out = writer_->data_size();
    writer_->commit();
  }

  const Checkpoint& input_;
  const Plan& plan_;
  std::filesystem::path output_;
  Backend& backend_;
  PipelineOptions options_;
  const ProgressCallback& progress_;
  PipelineReport report_;
  PipelineProgress progress_state_;
  std::vector<Selected> selected_;
  std::optional<CheckpointWriter> writer_;
};

}  // namespace

std::size_t PipelineReport::count(TensorStatus status) const {
  return static_cast<std::size_t>(std::count_if(
      tensors.begin(), tensors.end(), [&](const TensorReport& t) { return t.status == status; }));
}

PipelineReport palettize_checkpoint(const Checkpoint& input, const Plan& plan,
                                    const std::filesystem::path& output, Backend& backend,
                                    const PipelineOptions& options,
                                    const ProgressCallback& progress) {
  return CheckpointPalettizer(input, plan, output, backend, options, progress).run();
}

}  // namespace kmlut
