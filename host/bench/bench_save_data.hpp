// --save-data: a workload's tensors as a safetensors file, so that bench/peers runs the peer tools
// on exactly the bytes kmlut was timed on. The file's metadata names the workload, where its data
// came from and each case's spec (kmlut.bench.* keys).
#pragma once

#include <filesystem>

#include "host/bench/bench_workloads.hpp"

namespace kmlut::bench {

// Writes DIR/<workload>.safetensors (DIR is created if needed) and returns its path, or an empty
// path when the workload holds no tensors of its own (the checkpoint workload runs on a file).
// Throws Error on an IO failure.
std::filesystem::path save_workload_data(const Workload& workload,
                                         const std::filesystem::path& directory);

}  // namespace kmlut::bench
