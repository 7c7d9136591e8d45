// The backend `kmlut bench` runs and the timer that fits it. On the CPU, the host's monotonic
// clock. On the CUDA backend (builds with KMLUT_HAVE_CUDA), device time from the backend's stream
// events, with the backend told to overwrite the L2 cache after each upload so that no run finds
// its weights already cached; the cases it hands to its internal CPU path are timed on the host.
#pragma once

#include <memory>
#include <string>

#include "host/bench/bench_timing.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut::bench {

struct BenchBackend {
  std::unique_ptr<Backend> backend;
  // Times Backend::run_batch over a case's requests.
  std::unique_ptr<RegionTimer> batch_timer;
};

// "auto", "cpu" or "cuda", as make_backend takes them. Throws what make_backend throws (a build
// or machine without CUDA for "cuda").
BenchBackend make_bench_backend(const std::string& name, int threads);

}  // namespace kmlut::bench
