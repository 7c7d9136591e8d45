// Vector palettization (cluster_dim > 1) on LLM-like fp16 weights: the workloads of the
// vector-engine issue, 4096×4096 with cluster_dim 4 / k 256 and cluster_dim 2 / k 16. Reports the
// full fit (n_init = 5) and the time per Lloyd iteration (fit time / iterations, seeding
// included), with Hamerly's bounds and, for comparison, with a full search every iteration.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/llm_like_weights.hpp"
#include "host/backends/cpu/lloyd_kmeans.hpp"
#include "host/backends/cpu/thread_pool.hpp"
#include "kmlut/numeric/fp16.hpp"
#include "kmlut/palettize.hpp"

namespace {

using kmlut::bench::llm_like_fp16;

// The whole backend: gather, fit, LUT, indices, error. Arguments: rows, cluster_dim, n_bits,
// threads.
void BM_VectorPalettize(benchmark::State& state) {
  const std::int64_t rows = state.range(0);
  const auto values = llm_like_fp16(static_cast<std::size_t>(rows * rows), 1);
  kmlut::PalettizeRequest request;
  request.weight = {kmlut::DType::F16, {rows, rows}, values.data()};
  request.spec.cluster_dim = static_cast<int>(state.range(1));
  request.spec.n_bits = static_cast<int>(state.range(2));
  request.enable_fast_kmeans_mode = false;
  const auto backend = kmlut::make_cpu_backend(static_cast<int>(state.range(3)));
  std::size_t iterations = 0;
  for (auto _ : state) {
    const kmlut::PalettizeResult result = backend->run(request);
    iterations += result.lloyd_iterations;
    state.counters["sse"] = result.sse;
  }
  state.counters["lloyd_iterations"] =
      static_cast<double>(iterations) / static_cast<double>(state.iterations());
  state.counters["seconds_per_iteration"] = benchmark::Counter(
      static_cast<double>(iterations), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetItemsProcessed(state.iterations() * rows * rows);
}

// The solver alone, bounds on (1) or off (0). Arguments: vectors, d, k, bounds, threads.
void BM_LloydBounds(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const int d = static_cast<int>(state.range(1));
  const auto halves = llm_like_fp16(n * static_cast<std::size_t>(d), 2);
  std::vector<float> points(halves.size());
  for (std::size_t i = 0; i < points.size(); ++i)
    points[i] = kmlut::numeric::half_bits_to_float(halves[i]);
  kmlut::cpu::LloydOptions options;
  options.k = static_cast<std::size_t>(state.range(2));
  options.use_bounds = state.range(3) != 0;
  const auto threads = static_cast<unsigned>(state.range(4));
  kmlut::cpu::ThreadPool pool(threads);
  const kmlut::cpu::ChunkRunner runner = [&pool](std::size_t chunks, const auto& body) {
    pool.run(chunks, [&](unsigned, std::size_t chunk) { body(chunk); });
  };
  std::size_t iterations = 0;
  for (auto _ : state) {
    const kmlut::cpu::LloydFit fit =
        kmlut::cpu::fit_lloyd_kmeans({points.data(), nullptr, n, d}, options, runner);
    iterations += fit.iterations;
    state.counters["inertia"] = fit.inertia;
  }
  state.counters["lloyd_iterations"] =
      static_cast<double>(iterations) / static_cast<double>(state.iterations());
  state.counters["seconds_per_iteration"] = benchmark::Counter(
      static_cast<double>(iterations), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_VectorPalettize)
    ->ArgNames({"rows", "d", "bits", "threads"})
    ->Args({4096, 4, 8, 1})
    ->Args({4096, 4, 8, 2})
    ->Args({4096, 2, 4, 1})
    ->Args({4096, 2, 4, 2})
    ->Unit(benchmark::kSecond)
    ->Iterations(1);
BENCHMARK(BM_LloydBounds)
    ->ArgNames({"n", "d", "k", "bounds", "threads"})
    ->Args({262144, 4, 256, 1, 2})
    ->Args({262144, 4, 256, 0, 2})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
