// The `checkpoint` workload of `kmlut bench`: a whole checkpoint through palettize_checkpoint
// (read, cluster, write) with the w4 preset. The checkpoint is generated, TinyLlama-shaped (1.1 G
// fp16 parameters, 2.2 GB; --quick: a tiny model of the same layout), into a temporary directory
// that is removed when the workload is destroyed, also when a run fails; or it is the user's
// --input checkpoint, and then only the output goes to the temporary directory.
#pragma once

#include "host/bench/bench_workloads.hpp"

namespace kmlut::bench {

Workload checkpoint_workload(const WorkloadOptions& options);

}  // namespace kmlut::bench
