#include "host/bench/bench_backend.hpp"

#if KMLUT_HAVE_CUDA
#include "host/backends/cuda/cuda_backend.hpp"
#endif

namespace kmlut::bench {
namespace {

#if KMLUT_HAVE_CUDA
// Scratch the CUDA backend writes after each upload: larger than the L2 of an H100 or H200.
constexpr std::size_t kCacheFlushBytes = std::size_t{256} << 20;

// Device time of a run: the span (first kernel start to last kernel end, transfers excluded) of
// every device batch of the run, from CUDA events. A run with no device batch (all of its requests
// went to the backend's CPU path) is timed on the host clock instead, and last_source() says so.
class CudaEventTimer final : public RegionTimer {
 public:
  explicit CudaEventTimer(const Backend& backend)
      : backend_(backend), host_(make_monotonic_timer()) {}
  std::string description() const override {
    return "CUDA events (device span of each batch, transfers excluded; L2 overwritten after "
           "each upload); host monotonic clock for requests the backend runs on the CPU";
  }
  std::string last_source() const override { return last_source_; }
  // Each phase summed over the run's batches (a batch's span is the sum of its phases).
  std::vector<PhaseTime> last_phases() const override {
    std::vector<PhaseTime> phases{{"scale", 0},      {"histograms", 0}, {"unique values", 0},
                                  {"round trip", 0}, {"exact DP", 0},   {"assignment", 0}};
    const auto& batches = cuda::last_batch_timings(backend_);
    if (batches.empty())
      return {};
    for (const cuda::BatchTimings& batch : batches) {
      const double milliseconds[] = {batch.scale,      batch.histograms, batch.unique_values,
                                     batch.round_trip, batch.exact_dp,   batch.assignment};
      for (std::size_t p = 0; p < phases.size(); ++p)
        phases[p].seconds += milliseconds[p] / 1e3;
    }
    return phases;
  }
  void start() override { host_->start(); }
  double stop() override {
    const double host_seconds = host_->stop();
    double span_ms = 0;
    std::size_t requests = 0;
    for (const cuda::BatchTimings& batch : cuda::last_batch_timings(backend_)) {
      span_ms += batch.span;
      requests += batch.requests;
    }
    last_source_ = requests ? "CUDA events" : host_->description();
    return requests ? span_ms / 1e3 : host_seconds;
  }

 private:
  const Backend& backend_;
  std::unique_ptr<RegionTimer> host_;
  std::string last_source_;
};
#endif

}  // namespace

BenchBackend make_bench_backend(const std::string& name, int threads) {
  BenchBackend bench;
#if KMLUT_HAVE_CUDA
  if (name == "cuda") {
    cuda::CudaBackendOptions options;
    options.cpu_threads = threads;
    options.flush_cache_bytes = kCacheFlushBytes;
    bench.backend = cuda::make_cuda_backend(options);
    bench.batch_timer = std::make_unique<CudaEventTimer>(*bench.backend);
    return bench;
  }
#endif
  bench.backend = make_backend(name, threads);
  bench.batch_timer = make_monotonic_timer();
  return bench;
}

}  // namespace kmlut::bench
