// The checkpoint pipeline: preflight every job, lay out each output shard, copy what stays dense,
// then cluster the selected tensors batch by batch while the previous batch is being written.
#include "kmlut/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <unordered_map>

#include "host/pipeline/checkpoint_steps.hpp"
#include "kmlut/checkpoint_writer.hpp"
#include "kmlut/palettized_output.hpp"

namespace kmlut {
namespace {

using Clock = std::chrono::steady_clock;
using pipeline::Selected;

template <class Work>
double timed(Work&& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct BatchOutput {
  std::vector<const Selected*> tensors;
  std::vector<PalettizeResult> results;
  double seconds = 0.0;
};

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
    pipeline::check_plan_matches(input_, plan_);
    for (std::size_t i = 0; i < plan_.jobs.size(); ++i) {
      const Job& job = plan_.jobs[i];
      const Checkpoint::TensorRef& ref = input_.tensors()[i];
      TensorReport row = pipeline::initial_row(job, ref);
      report_.bytes_in += row.bytes_in;
      progress_.add_to_total(row);
      if (job.spec) {
        if (std::optional<Selected> selected =
                pipeline::preflight(input_, job, ref, i, options_, row))
          selected_.push_back(std::move(*selected));
      }
      report_.tensors.push_back(std::move(row));
    }
  }

  // The output mirrors the input's sharding: each tensor, or its parts, in the input's shard.
  void open_writers() {
    std::unordered_map<std::string, const PalettizeRequest*> by_name;
    for (const Selected& selected : selected_)
      by_name[selected.request.name] = &selected.request;
    writer_.emplace(output_, input_.layout(), pipeline::mirrored_layout(input_, by_name));
  }

  void copy_dense_tensors() {
    std::size_t row = 0;
    for (const Checkpoint::TensorRef& ref : input_.tensors()) {
      if (report_.tensors[row].status != TensorStatus::Palettized) {
        writer_->write(ref.info->name, input_.data(ref));
        input_.release(ref);
        progress_.advance(ref.info->name, ref.info->nbytes());
      }
      ++row;
    }
  }

  void palettize_selected() {
    const std::uint64_t budget = pipeline::effective_budget(options_);
    std::vector<const PalettizeRequest*> all;
    for (const Selected& selected : selected_)
      all.push_back(&selected.request);
    std::future<void> writing;
    std::size_t next = 0;
    while (next < selected_.size()) {
      BatchOutput batch;
      std::vector<PalettizeRequest> requests;
      for (const std::size_t end = pipeline::batch_end(all, next, budget); next < end; ++next) {
        requests.push_back(selected_[next].request);
        batch.tensors.push_back(&selected_[next]);
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
      TensorReport& row = report_.tensors[selected.report];
      pipeline::record_result(
          selected.request, result,
          pipeline::batch_share(batch.seconds, selected.request.weight.numel(), batch_elements),
          row);
      writer_->write(palettized_output(selected.request, result));
      input_.release(selected.ref);
      if (selected.sensitivity != nullptr)
        options_.sensitivities->release(*selected.sensitivity);
      progress_.advance(selected.request.name, row.bytes_in);
    }
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
  pipeline::ProgressCount progress_;
  PipelineReport report_;
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
