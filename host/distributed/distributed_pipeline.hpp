// palettize_checkpoint (kmlut/pipeline.hpp) shared by the ranks of a Communicator
// (docs/scaling.md): the selected tensors are split among the ranks by estimated cost, each rank
// reads only its own tensors' bytes, the parts of each palettized tensor are sent to the rank that
// writes its output shard, and the shards are committed only when every rank has succeeded, the
// index last. Every output file is byte-identical to the single-process pipeline's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "host/distributed/communicator.hpp"
#include "kmlut/checkpoint.hpp"
#include "kmlut/palettize.hpp"
#include "kmlut/pipeline.hpp"
#include "kmlut/plan.hpp"

namespace kmlut::distributed {

// What one rank did.
struct RankReport {
  int rank = 0;
  double seconds = 0.0;          // from the start to the end of the exchange (then: commit)
  double read_seconds = 0.0;     // preflight of its own tensors
  double cluster_seconds = 0.0;  // its backend's batches
  double write_seconds = 0.0;    // dense copies and parts written into its shards
  std::size_t tensors_clustered = 0;
  std::vector<std::string> clustered;  // their names, in checkpoint order
  std::size_t shards_written = 0;
  std::uint64_t bytes_read = 0;      // input tensor bytes it read
  std::uint64_t bytes_sent = 0;      // palettized parts sent to other ranks
  std::uint64_t bytes_received = 0;  // palettized parts received from other ranks
  std::uint64_t bytes_written = 0;   // tensor bytes of its shards
};

struct DistributedReport {
  // The job's report, as the single-process pipeline gives it, on every rank: its seconds are this
  // rank's wall time, its read, cluster and write times the longest rank's.
  PipelineReport report;
  std::vector<RankReport> ranks;  // every rank's, on every rank
};

// Every rank calls it with the same checkpoint, plan, output and options (each with its own
// backend). `progress` is called on rank 0 only, with the progress of the whole job. Throws
// AgreedFailure (agreement.hpp) on every rank when any rank failed at or before the commit; any
// other exception means that this rank cannot tell the others, and the caller must end the job
// (Communicator::abort).
DistributedReport palettize_checkpoint_distributed(Communicator& communicator,
                                                   const Checkpoint& input, const Plan& plan,
                                                   const std::filesystem::path& output,
                                                   Backend& backend, const PipelineOptions& options,
                                                   const ProgressCallback& progress = {});

}  // namespace kmlut::distributed
