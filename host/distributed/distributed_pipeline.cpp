// The protocol (docs/scaling.md, "Protocol"): every step that can fail on one rank ends in an
// agreement (agreement.hpp), except the exchange of tensor parts, where a failing rank keeps
// sending and receiving what the others expect (a failed tensor travels as an empty message) so
// that every rank reaches the agreement that follows it.
#include "host/distributed/distributed_pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <thread>
#include <unordered_map>

#include "host/distributed/agreement.hpp"
#include "host/distributed/byte_codec.hpp"
#include "host/distributed/work_assignment.hpp"
#include "host/pipeline/checkpoint_steps.hpp"
#include "kmlut/checkpoint_writer.hpp"
#include "kmlut/error.hpp"
#include "kmlut/palettized_output.hpp"

namespace kmlut::distributed {
namespace {

using Clock = std::chrono::steady_clock;
using pipeline::Selected;

constexpr auto kPollInterval = std::chrono::milliseconds(2);

template <class Work>
double timed(Work&& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class DistributedPalettizer {
 public:
  DistributedPalettizer(Communicator& communicator, const Checkpoint& input, const Plan& plan,
                        const std::filesystem::path& output, Backend& backend,
                        const PipelineOptions& options, const ProgressCallback& progress)
      : comm_(communicator),
        input_(input),
        plan_(plan),
        output_(output),
        backend_(backend),
        options_(options),
        progress_(progress),
        me_(communicator.rank()) {
    mine_.rank = me_;
  }

  DistributedReport run() {
    const auto start = Clock::now();
    agree(comm_, [&] {
      assign_work();
      return Bytes{};
    });
    apply_preflight(agree(comm_, [&] {
      Bytes outcomes;
      mine_.read_seconds = timed([&] { outcomes = preflight_own_tensors(); });
      return outcomes;
    }));
    agree(comm_, [&] {
      mine_.write_seconds += timed([&] { open_writer(); });
      return Bytes{};
    });
    const LocalOutcome exchanged = exchange();
    drain_progress();
    mine_.seconds = seconds_since(start);
    const std::vector<Bytes> reports = agree(comm_, exchanged, encode_own_results());
    comm_.wait_for_sends();
    agree(comm_, [&] {
      mine_.write_seconds += timed([&] { writer_->commit_shards(); });
      return Bytes{};
    });
    if (input_.layout() == Checkpoint::Layout::Sharded) {
      agree(comm_, [&] {
        if (me_ == 0)
          writer_->commit_index();
        return Bytes{};
      });
    }
    return finish(reports, seconds_since(start));
  }

 private:
  // Owners of the selected tensors by cost, writers of the shards by bytes; the same on every rank.
  void assign_work() {
    pipeline::check_plan_matches(input_, plan_);
    std::vector<WorkItem> tensors;
    std::vector<std::size_t> selected_rows;
    std::vector<WorkItem> shards(input_.shards().size());
    for (std::size_t shard = 0; shard < shards.size(); ++shard)
      shards[shard].name = input_.shards()[shard].path().filename().string();
    for (std::size_t i = 0; i < plan_.jobs.size(); ++i) {
      const Checkpoint::TensorRef& ref = input_.tensors()[i];
      rows_.push_back(pipeline::initial_row(plan_.jobs[i], ref));
      shards[ref.shard].cost += static_cast<double>(ref.info->nbytes());
      if (plan_.jobs[i].spec) {
        tensors.push_back({plan_.jobs[i].tensor, estimated_cost(plan_.jobs[i])});
        selected_rows.push_back(i);
      }
    }
    owner_.assign(plan_.jobs.size(), -1);
    const std::vector<int> owners = assign_by_cost(tensors, comm_.size());
    for (std::size_t i = 0; i < selected_rows.size(); ++i)
      owner_[selected_rows[i]] = owners[i];
    writer_of_shard_ = assign_by_cost(shards, comm_.size());
  }

  int writer_of_row(std::size_t row) const { return writer_of_shard_[input_.tensors()[row].shard]; }

  // Preflight of this rank's tensors; the payload says, per tensor, whether it stays dense and why.
  Bytes preflight_own_tensors() {
    ByteWriter outcomes;
    for (std::size_t i = 0; i < plan_.jobs.size(); ++i) {
      if (owner_[i] != me_)
        continue;
      const Checkpoint::TensorRef& ref = input_.tensors()[i];
      TensorReport& row = rows_[i];
      std::optional<Selected> selected =
          pipeline::preflight(input_, plan_.jobs[i], ref, i, options_, row);
      mine_.bytes_read += row.bytes_in;
      if (selected)
        own_.push_back(std::move(*selected));
      outcomes.number(i);
      outcomes.number(row.status == TensorStatus::Palettized ? 1 : 0);
      outcomes.text(row.reason);
    }
    return outcomes.take();
  }

  void apply_preflight(const std::vector<Bytes>& outcomes) {
    for (int rank = 0; rank < comm_.size(); ++rank) {
      const Bytes& bytes = outcomes[static_cast<std::size_t>(rank)];
      ByteReader reader(bytes);
      for (std::size_t count = 0; count < owned_count(rank); ++count) {
        TensorReport& row = rows_[reader.number()];
        const bool palettized = reader.number() != 0;
        row.status = palettized ? TensorStatus::Palettized : TensorStatus::Skipped;
        row.reason = reader.text();
      }
    }
  }

  std::size_t owned_count(int rank) const {
    return static_cast<std::size_t>(std::count(owner_.begin(), owner_.end(), rank));
  }

  // The layout of every shard (the parts' shapes need no data), and files for this rank's shards.
  void open_writer() {
    std::vector<PalettizeRequest> requests;
    requests.reserve(rows_.size());
    std::unordered_map<std::string, const PalettizeRequest*> palettized;
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (rows_[i].status != TensorStatus::Palettized)
        continue;
      const Job& job = plan_.jobs[i];
      requests.push_back(make_palettize_request(job, {job.dtype, job.shape, nullptr}, 0));
      palettized[job.tensor] = &requests.back();
    }
    std::vector<ShardContents> layout = pipeline::mirrored_layout(input_, palettized);
    std::vector<bool> written_here(layout.size());
    for (std::size_t shard = 0; shard < layout.size(); ++shard) {
      written_here[shard] = writer_of_shard_[shard] == me_;
      if (!written_here[shard])
        continue;
      ++mine_.shards_written;
      for (const OutputTensor& tensor : layout[shard].tensors)
        mine_.bytes_written += tensor_byte_size(tensor.dtype, tensor.shape);
    }
    writer_.emplace(output_, input_.layout(), std::move(layout), written_here);
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (writer_of_row(i) == me_ && rows_[i].status == TensorStatus::Palettized &&
          owner_[i] != me_)
        ++expected_parts_;
    }
    for (const TensorReport& row : rows_)
      progress_.add_to_total(row);
  }

  // Dense copies, clustering and the parts' exchange. Failures are held back (see the top).
  LocalOutcome exchange() {
    LocalOutcome outcome;
    try {
      mine_.write_seconds += timed([&] { copy_dense_tensors(); });
    } catch (const std::exception& error) {
      outcome.record(error);
    }
    cluster_own_tensors(outcome);
    while (received_parts_ < expected_parts_) {
      if (!serve(outcome))
        std::this_thread::sleep_for(kPollInterval);
    }
    return outcome;
  }

  void copy_dense_tensors() {
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (rows_[i].status == TensorStatus::Palettized || writer_of_row(i) != me_)
        continue;
      const Checkpoint::TensorRef& ref = input_.tensors()[i];
      writer_->write(ref.info->name, input_.data(ref));
      input_.release(ref);
      mine_.bytes_read += rows_[i].bytes_in;
      written(i);
    }
  }

  void cluster_own_tensors(LocalOutcome& outcome) {
    const std::uint64_t budget = pipeline::effective_budget(options_);
    std::vector<const PalettizeRequest*> all;
    for (const Selected& selected : own_)
      all.push_back(&selected.request);
    std::vector<bool> delivered(own_.size(), false);
    for (std::size_t next = 0; next < own_.size() && !outcome.failed;) {
      const std::size_t end = pipeline::batch_end(all, next, budget);
      try {
        cluster_batch(next, end, outcome, delivered);
      } catch (const std::exception& error) {
        outcome.record(error);
      }
      next = end;
    }
    // The writers expect one message per tensor: a failed one travels empty.
    for (std::size_t i = 0; i < own_.size(); ++i) {
      const int writer = writer_of_row(own_[i].report);
      if (!delivered[i] && writer != me_)
        comm_.send(writer, Channel::TensorParts, encode_failed(own_[i].report));
    }
  }

  void cluster_batch(std::size_t begin, std::size_t end, LocalOutcome& outcome,
                     std::vector<bool>& delivered) {
    std::vector<PalettizeRequest> requests;
    std::uint64_t batch_elements = 0;
    for (std::size_t i = begin; i < end; ++i) {
      requests.push_back(own_[i].request);
      batch_elements += own_[i].request.weight.numel();
    }
    // The backend runs on its own thread while this one serves the other ranks' messages (all
    // MPI calls stay on this thread).
    const auto start = Clock::now();
    std::future<std::vector<PalettizeResult>> running =
        std::async(std::launch::async, [&] { return backend_.run_batch(requests); });
    while (running.wait_for(kPollInterval) != std::future_status::ready)
      serve(outcome);
    const std::vector<PalettizeResult> results = running.get();
    const double seconds = seconds_since(start);
    mine_.cluster_seconds += seconds;
    for (std::size_t i = begin; i < end; ++i) {
      Selected& selected = own_[i];
      const PalettizeResult& result = results[i - begin];
      pipeline::record_result(
          selected.request, result,
          pipeline::batch_share(seconds, selected.request.weight.numel(), batch_elements),
          rows_[selected.report]);
      deliver(selected, palettized_output(selected.request, result));
      delivered[i] = true;
      ++mine_.tensors_clustered;
      input_.release(selected.ref);
      if (selected.sensitivity != nullptr)
        options_.sensitivities->release(*selected.sensitivity);
    }
  }

  void deliver(const Selected& selected, const PalettizedOutput& output) {
    const int writer = writer_of_row(selected.report);
    if (writer == me_) {
      mine_.write_seconds += timed([&] { writer_->write(output); });
      written(selected.report);
      return;
    }
    ByteWriter message;
    message.number(selected.report);
    message.number(output.parts.size());
    for (const PartBytes& part : output.parts) {
      message.text(part.tensor.name);
      message.blob(part.bytes);
      mine_.bytes_sent += part.bytes.size;
    }
    comm_.send(writer, Channel::TensorParts, message.take());
  }

  static Bytes encode_failed(std::size_t row) {
    ByteWriter message;
    message.number(row);
    message.number(0);  // no parts: the owner failed, and says why at the next agreement
    return message.take();
  }

  // Handles the messages that have arrived; false when there were none.
  bool serve(LocalOutcome& outcome) {
    bool any = false;
    while (std::optional<Message> message = comm_.try_receive(Channel::TensorParts)) {
      any = true;
      ++received_parts_;
      try {
        mine_.write_seconds += timed([&] { write_received(message->bytes, outcome); });
      } catch (const std::exception& error) {
        outcome.record(error);
      }
    }
    if (me_ == 0) {
      while (std::optional<Message> message = comm_.try_receive(Channel::Progress)) {
        any = true;
        apply_progress(message->bytes);
      }
    }
    return any;
  }

  void write_received(const Bytes& bytes, const LocalOutcome& outcome) {
    ByteReader reader(bytes);
    const std::size_t row = reader.number();
    const std::uint64_t parts = reader.number();
    if (parts == 0 || outcome.failed)
      return;  // the job fails at the next agreement; nothing more is worth writing
    std::uint64_t bytes_out = 0;
    for (std::uint64_t part = 0; part < parts; ++part) {
      const std::string name = reader.text();
      const ByteView data = reader.blob();
      writer_->write(name, data);
      bytes_out += data.size;
    }
    mine_.bytes_received += bytes_out;
    written(row);
  }

  // A tensor is in its output file: rank 0 counts it, the others tell rank 0.
  void written(std::size_t row) {
    if (me_ == 0) {
      progress_.advance(rows_[row].name, rows_[row].bytes_in);
      return;
    }
    ByteWriter message;
    message.text(rows_[row].name);
    message.number(rows_[row].bytes_in);
    comm_.send(0, Channel::Progress, message.take());
    ++progress_sent_;
  }

  void apply_progress(const Bytes& bytes) {
    ByteReader reader(bytes);
    const std::string name = reader.text();
    progress_.advance(name, reader.number());
    ++progress_received_;
  }

  // Rank 0 receives every progress message still on its way, so that no send is left pending.
  void drain_progress() {
    ByteWriter count;
    count.number(progress_sent_);
    const std::vector<Bytes> counts = comm_.all_gather(count.take());
    if (me_ != 0)
      return;
    std::uint64_t expected = 0;
    for (const Bytes& bytes : counts)
      expected += ByteReader(bytes).number();
    while (progress_received_ < expected)
      apply_progress(comm_.receive(Channel::Progress).bytes);
  }

  // This rank's report and the result rows of the tensors it clustered.
  Bytes encode_own_results() const {
    ByteWriter out;
    out.real(mine_.seconds);
    out.real(mine_.read_seconds);
    out.real(mine_.cluster_seconds);
    out.real(mine_.write_seconds);
    out.number(mine_.tensors_clustered);
    out.number(mine_.shards_written);
    out.number(mine_.bytes_read);
    out.number(mine_.bytes_sent);
    out.number(mine_.bytes_received);
    out.number(mine_.bytes_written);
    out.number(own_.size());
    for (const Selected& selected : own_) {
      const TensorReport& row = rows_[selected.report];
      out.number(selected.report);
      out.number(row.num_luts);
      out.number(row.bytes_out);
      out.number(row.lloyd_iterations);
      out.real(row.sse);
      out.real(row.rel_error);
      out.real(row.seconds);
    }
    return out.take();
  }

  RankReport decode_results(int rank, const Bytes& bytes) {
    ByteReader in(bytes);
    RankReport report;
    report.rank = rank;
    report.seconds = in.real();
    report.read_seconds = in.real();
    report.cluster_seconds = in.real();
    report.write_seconds = in.real();
    report.tensors_clustered = in.number();
    report.shards_written = in.number();
    report.bytes_read = in.number();
    report.bytes_sent = in.number();
    report.bytes_received = in.number();
    report.bytes_written = in.number();
    for (std::uint64_t count = in.number(); count > 0; --count) {
      TensorReport& row = rows_.at(in.number());
      report.clustered.push_back(row.name);
      row.num_luts = in.number();
      row.bytes_out = in.number();
      row.lloyd_iterations = in.number();
      row.sse = in.real();
      row.rel_error = in.real();
      row.seconds = in.real();
    }
    return report;
  }

  DistributedReport finish(const std::vector<Bytes>& reports, double seconds) {
    DistributedReport result;
    for (int rank = 0; rank < comm_.size(); ++rank)
      result.ranks.push_back(decode_results(rank, reports[static_cast<std::size_t>(rank)]));
    PipelineReport& report = result.report;
    report.backend = backend_.name();
    report.seconds = seconds;
    for (const RankReport& rank : result.ranks) {
      report.read_seconds = std::max(report.read_seconds, rank.read_seconds);
      report.cluster_seconds = std::max(report.cluster_seconds, rank.cluster_seconds);
      report.write_seconds = std::max(report.write_seconds, rank.write_seconds);
    }
    for (const TensorReport& row : rows_)
      report.bytes_in += row.bytes_in;
    report.bytes_out = writer_->data_size();
    report.tensors = std::move(rows_);
    return result;
  }

  Communicator& comm_;
  const Checkpoint& input_;
  const Plan& plan_;
  std::filesystem::path output_;
  Backend& backend_;
  PipelineOptions options_;
  pipeline::ProgressCount progress_;
  const int me_;

  std::vector<TensorReport> rows_;
  std::vector<int> owner_;  // per row: the rank that clusters it, -1 when not selected
  std::vector<int> writer_of_shard_;
  std::vector<Selected> own_;  // this rank's tensors that passed preflight
  std::optional<CheckpointWriter> writer_;
  std::size_t expected_parts_ = 0;
  std::size_t received_parts_ = 0;
  std::uint64_t progress_sent_ = 0;
  std::uint64_t progress_received_ = 0;
  RankReport mine_;
};

}  // namespace

DistributedReport palettize_checkpoint_distributed(Communicator& communicator,
                                                   const Checkpoint& input, const Plan& plan,
                                                   const std::filesystem::path& output,
                                                   Backend& backend, const PipelineOptions& options,
                                                   const ProgressCallback& progress) {
  return DistributedPalettizer(communicator, input, plan, output, backend, options, progress).run();
}

}  // namespace kmlut::distributed
