// Scalar palettization throughput on LLM-like fp16 weights (Student-t, 4 degrees of freedom), the
// workloads of the scalar-engine issue. Reports weights/s and bytes/s of weight read.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/llm_like_weights.hpp"
#include "kmlut/palettize.hpp"

namespace {

using kmlut::bench::llm_like_fp16;
using kmlut::bench::llm_like_fp32;

void run_workload(benchmark::State& state, kmlut::PalettizeRequest request, std::size_t numel,
                  std::size_t element_bytes) {
  const auto backend = kmlut::make_cpu_backend(static_cast<int>(state.range(0)));
  double sse = 0.0;
  // No DoNotOptimize on a double: Google Benchmark 1.7.1's "+m,r" constraint garbles it under GCC
  // 12 (the counter read 4.7e-310); the result escapes through the counter anyway.
  for (auto _ : state)
    sse = backend->run(request).sse;
  state.counters["sse"] = sse;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * numel));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * numel * element_bytes));
  state.counters["threads"] = static_cast<double>(state.range(0));
}

void scalar_fp16(benchmark::State& state, std::int64_t rows, std::int64_t cols, int n_bits,
                 std::int64_t group_size) {
  const auto values = llm_like_fp16(static_cast<std::size_t>(rows * cols), 1);
  kmlut::PalettizeRequest request;
  request.weight = {kmlut::DType::F16, {rows, cols}, values.data()};
  request.spec.n_bits = n_bits;
  if (group_size > 0)
    request.spec.granularity = kmlut::Granularity::per_grouped_channel(0, group_size);
  run_workload(state, request, values.size(), 2);
}

void BM_W4Group16_4096x4096(benchmark::State& state) {
  scalar_fp16(state, 4096, 4096, 4, 16);
}
void BM_W4PerTensor_4096x11008(benchmark::State& state) {
  scalar_fp16(state, 4096, 11008, 4, 0);
}
void BM_W8PerTensor_4096x4096(benchmark::State& state) {
  scalar_fp16(state, 4096, 4096, 8, 0);
}
void BM_W6Group16_4096x4096(benchmark::State& state) {
  scalar_fp16(state, 4096, 4096, 6, 16);
}

void BM_AllValues16M_K16(benchmark::State& state) {
  const auto values = llm_like_fp32(std::size_t{1} << 24, 2);
  kmlut::PalettizeRequest request;
  request.weight = {kmlut::DType::F32, {4096, 4096}, values.data()};
  request.spec.n_bits = 4;
  request.enable_fast_kmeans_mode = false;
  run_workload(state, request, values.size(), 4);
}

#define KMLUT_THREADS ->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()
BENCHMARK(BM_W4Group16_4096x4096) KMLUT_THREADS;
BENCHMARK(BM_W4PerTensor_4096x11008) KMLUT_THREADS;
BENCHMARK(BM_W8PerTensor_4096x4096) KMLUT_THREADS;
BENCHMARK(BM_W6Group16_4096x4096) KMLUT_THREADS;
BENCHMARK(BM_AllValues16M_K16)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
