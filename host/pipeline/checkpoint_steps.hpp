// The steps of palettizing a checkpoint that the single-process pipeline (pipeline.cpp) and the
// distributed one (host/distributed/) share: the report row of a plan job, the preflight of a
// selected tensor, the output layout that mirrors the input's sharding, batching under the memory
// budget, and what a result adds to its report row. One home for each rule, so that both write the
// same bytes and the same report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kmlut/checkpoint.hpp"
#include "kmlut/checkpoint_writer.hpp"
#include "kmlut/palettize.hpp"
#include "kmlut/pipeline.hpp"
#include "kmlut/plan.hpp"

namespace kmlut::pipeline {

// A selected tensor that passed preflight, on its way to the backend and the writer.
struct Selected {
  PalettizeRequest request;
  std::size_t report = 0;  // index into the report (= the plan job's index)
  Checkpoint::TensorRef ref{};
  const Checkpoint::TensorRef* sensitivity = nullptr;  // in PipelineOptions::sensitivities
};

// Throws Error unless `plan` holds one job per checkpoint tensor, in checkpoint order.
void check_plan_matches(const Checkpoint& input, const Plan& plan);

// The report row of a job before anything is read: copied, with the job's decision.
TensorReport initial_row(const Job& job, const Checkpoint::TensorRef& ref);

// Preflight of a job with a spec (reads the tensor's values once): the tensor to palettize, with
// `row` marked palettized, or nothing with `row` marked skipped and why. Throws Error for a skip
// under --strict, InputError for a missing or mismatched sensitivity.
std::optional<Selected> preflight(const Checkpoint& input, const Job& job,
                                  const Checkpoint::TensorRef& ref, std::size_t row_index,
                                  const PipelineOptions& options, TensorReport& row);

// The output layout: each tensor of `input`, or the parts of the ones in `palettized` (by name),
// in the shard of its input, with each shard's "kmlut.tensors" metadata. The requests need no data.
std::vector<ShardContents> mirrored_layout(
    const Checkpoint& input,
    const std::unordered_map<std::string, const PalettizeRequest*>& palettized);

// The memory budget the options give (their own, or a quarter of the available memory).
std::uint64_t effective_budget(const PipelineOptions& options);

// The end of the batch that starts at `begin`: tensors are added while the batch's working bytes
// stay within half the budget (one batch is clustered while the previous one is written); a batch
// holds at least one tensor.
std::size_t batch_end(const std::vector<const PalettizeRequest*>& requests, std::size_t begin,
                      std::uint64_t budget);

// What a result adds to its report row; `seconds` is the row's share of its batch's time. Throws
// Error when the backend skipped a tensor that passed preflight.
void record_result(const PalettizeRequest& request, const PalettizeResult& result, double seconds,
                   TensorReport& row);

// A tensor's share of its batch's clustering time, by element count.
double batch_share(double batch_seconds, std::uint64_t numel, std::uint64_t batch_numel);

// The progress of a run: the totals set once from the report rows, then one call of the
// callback per finished tensor.
class ProgressCount {
 public:
  explicit ProgressCount(const ProgressCallback& callback) : callback_(callback) {}
  void add_to_total(const TensorReport& row) {
    ++state_.tensors_total;
    state_.bytes_total += row.bytes_in;
  }
  void advance(const std::string& tensor, std::uint64_t bytes) {
    ++state_.tensors_done;
    state_.bytes_done += bytes;
    state_.current = tensor;
    if (callback_)
      callback_(state_);
  }

 private:
  const ProgressCallback& callback_;
  PipelineProgress state_;
};

}  // namespace kmlut::pipeline
