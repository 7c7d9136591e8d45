// The `checkpoint` workload of `kmlut bench`: a whole checkpoint through palettize_checkpoint
// (read, cluster, write) with the w4 preset. The checkpoint is generated, TinyLlama-shaped (1.1 G
// fp16 parameters, 2.2 GB; --quick: a tiny model of the same layout), into a temporary directory
// that is removed when the workload is destroyed, also when a run fails; or it is the user's
// --input checkpoint, and then only the output goes to the temporary directory.
#pragma once

#include "host/bench/bench_workloads.hpp"

namespace kmlut::bench {

Workload checkpoint_workload(const WorkloadOptions& options);

// The `real-checkpoint` workload: a real model end to end with issue 13's four configurations (w4
// group-16 fp16, w6 per-tensor bf16, w3 all-values fp32 with axis-1 groups of 64, vector d4 fp32
// on 4 tensors; bench/peers/coreai_peers.py runs coreai_opt on the same), the checkpoint recast
// to each one's dtype first (not timed). The checkpoint is --input (all-MiniLM-L6-v2 is the one
// meant) or a generated one of MiniLM's shapes (--quick: a tiny one of the same layout).
Workload real_checkpoint_workload(const WorkloadOptions& options);

}  // namespace kmlut::bench
