// The CUDA backend on the scalar workloads of its issue, against the HBM floor and the CPU backend
// in the same run. Device times come from events on the batch streams (median of repetitions,
// inputs rotated and L2 flushed after each upload); the floor is reading the fp16 weights once at
// the card's peak memory bandwidth. The single tensors run with exact-DP blocks of 32, 64 and 256
// threads, each phase timed. Prints two tables; nothing here asserts a time.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/llm_like_weights.hpp"
#include "host/backends/cuda/cuda_backend.hpp"
#include "kernels/cuda_api.hpp"
#include "kmlut/palettize.hpp"

namespace {

using kmlut::bench::llm_like_fp16;

using Clock = std::chrono::steady_clock;

double peak_bandwidth_bytes_per_second() {
  int clock_khz = 0;
  int bus_bits = 0;
  cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, 0);
  cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, 0);
  return 2.0 * clock_khz * 1e3 * bus_bits / 8.0;  // double data rate
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// The median of each phase over the repetitions.
kmlut::cuda::BatchTimings median_phases(const std::vector<kmlut::cuda::BatchTimings>& runs) {
  const auto of = [&](double kmlut::cuda::BatchTimings::*phase) {
    std::vector<double> values;
    for (const kmlut::cuda::BatchTimings& run : runs)
      values.push_back(run.*phase);
    return median(values);
  };
  kmlut::cuda::BatchTimings t;
  t.requests = runs.front().requests;
  t.kernels = of(&kmlut::cuda::BatchTimings::kernels);
  t.span = of(&kmlut::cuda::BatchTimings::span);
  t.scale = of(&kmlut::cuda::BatchTimings::scale);
  t.histograms = of(&kmlut::cuda::BatchTimings::histograms);
  t.unique_values = of(&kmlut::cuda::BatchTimings::unique_values);
  t.round_trip = of(&kmlut::cuda::BatchTimings::round_trip);
  t.exact_dp = of(&kmlut::cuda::BatchTimings::exact_dp);
  t.assignment = of(&kmlut::cuda::BatchTimings::assignment);
  return t;
}

template <class Fn>
double wall_ms(Fn&& fn) {
  const auto start = Clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Row {
  std::string workload;
  kmlut::cuda::BatchTimings phases;  // medians, single tensors only
  double kernels_ms = 0.0;
  double span_ms = 0.0;
  double end_to_end_ms = 0.0;
  double bytes = 0.0;
  double cpu_ms = 0.0;
  std::string cpu_note;
  std::string parity;
};

kmlut::PalettizeRequest fp16_request(const std::vector<std::uint16_t>& values, std::int64_t rows,
                                     std::int64_t cols, bool group16) {
  kmlut::PalettizeRequest request;
  request.name = std::to_string(rows) + "x" + std::to_string(cols);
  request.weight = {kmlut::DType::F16, {rows, cols}, values.data()};
  request.spec.n_bits = 4;
  if (group16)
    request.spec.granularity = kmlut::Granularity::per_grouped_channel(0, 16);
  return request;
}

bool same_bytes(const kmlut::PalettizeResult& a, const kmlut::PalettizeResult& b) {
  return a.lut == b.lut && a.packed_indices == b.packed_indices;
}

// One 4096×11008 tensor per repetition, rotating among `inputs`.
Row single_tensor(const std::string& label, const std::vector<std::vector<std::uint16_t>>& inputs,
                  bool group16, kmlut::Backend& gpu, kmlut::Backend& cpu, int repetitions) {
  Row row;
  row.workload = label;
  row.bytes = 4096.0 * 11008.0 * 2.0;
  std::vector<kmlut::cuda::BatchTimings> timings;
  std::vector<double> walls;
  kmlut::PalettizeResult gpu_result;
  for (int r = -2; r < repetitions; ++r) {  // two warm-ups
    const auto& values = inputs[static_cast<std::size_t>(r + 2) % inputs.size()];
    const kmlut::PalettizeRequest request = fp16_request(values, 4096, 11008, group16);
    const double wall = wall_ms([&] { gpu_result = gpu.run(request); });
    if (r < 0)
      continue;
    const std::vector<kmlut::cuda::BatchTimings>& batches = kmlut::cuda::last_batch_timings(gpu);
    if (batches.size() != 1)
      throw std::runtime_error(label + ": the request did not run as one device batch");
    timings.push_back(batches.front());
    walls.push_back(wall);
  }
  row.phases = median_phases(timings);
  row.kernels_ms = row.phases.kernels;
  row.span_ms = row.phases.span;
  row.end_to_end_ms = median(walls);
  const kmlut::PalettizeRequest last = fp16_request(
      inputs[static_cast<std::size_t>(repetitions + 1) % inputs.size()], 4096, 11008, group16);
  kmlut::PalettizeResult cpu_result;
  row.cpu_ms = wall_ms([&] { cpu_result = cpu.run(last); });
  row.parity = same_bytes(gpu_result, cpu_result) ? "identical" : "DIFFERENT";
  return row;
}

// Llama-2-7B's linear weights: per layer q, k, v, o (4096×4096), gate, up (11008×4096) and down
// (4096×11008), 32 layers, 6.48 G fp16 values, all in one run_batch.
Row llama_linear_weights(const std::vector<std::uint16_t>& square,
                         const std::vector<std::uint16_t>& wide, kmlut::Backend& gpu,
                         kmlut::Backend& cpu) {
  std::vector<kmlut::PalettizeRequest> layer;
  for (int i = 0; i < 4; ++i)
    layer.push_back(fp16_request(square, 4096, 4096, true));
  layer.push_back(fp16_request(wide, 11008, 4096, true));
  layer.push_back(fp16_request(wide, 11008, 4096, true));
  layer.push_back(fp16_request(wide, 4096, 11008, true));
  std::vector<kmlut::PalettizeRequest> model;
  for (int l = 0; l < 32; ++l)
    model.insert(model.end(), layer.begin(), layer.end());
  Row row;
  row.workload = "Llama-2-7B linear, w4 g16 (6.48 G values)";
  row.bytes = 32.0 * (4.0 * 4096 * 4096 + 3.0 * 4096 * 11008) * 2.0;
  gpu.run_batch(layer);  // warm-up
  std::vector<kmlut::PalettizeResult> gpu_layer;
  row.end_to_end_ms = wall_ms([&] { gpu_layer = gpu.run_batch(model); });
  for (const kmlut::cuda::BatchTimings& t : kmlut::cuda::last_batch_timings(gpu)) {
    row.kernels_ms += t.kernels;
    row.span_ms += t.span;
  }
  std::vector<kmlut::PalettizeResult> cpu_layer;
  row.cpu_ms = 32.0 * wall_ms([&] { cpu_layer = cpu.run_batch(layer); });
  row.cpu_note = " (1 layer x 32)";
  row.parity = "identical";
  for (std::size_t i = 0; i < layer.size(); ++i) {
    if (!same_bytes(gpu_layer[i], cpu_layer[i]))
      row.parity = "DIFFERENT";
  }
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const std::string unusable = kmlut::cuda::device_unusable_reason();
  if (!unusable.empty()) {
    std::fprintf(stderr, "bench_cuda: %s\n", unusable.c_str());
    return 1;
  }
  const double peak = peak_bandwidth_bytes_per_second();
  const auto gpu_with_dp_blocks = [](unsigned threads) {
    kmlut::cuda::CudaBackendOptions options;
    options.flush_cache_bytes = std::size_t{256} << 20;
    options.exact_dp_threads = threads;
    return kmlut::cuda::make_cuda_backend(options);
  };
  const auto gpu = gpu_with_dp_blocks(256);
  const auto cpu = kmlut::make_cpu_backend();
  std::fprintf(stderr, "generating inputs...\n");
  std::vector<std::vector<std::uint16_t>> wide;
  for (unsigned seed = 1; seed <= (quick ? 1u : 3u); ++seed)
    wide.push_back(llm_like_fp16(std::size_t{4096} * 11008, seed));
  std::vector<Row> rows;
  const int repetitions = quick ? 3 : 10;
  for (const unsigned threads : {32u, 64u, 256u}) {
    const auto dp_gpu = threads == 256 ? nullptr : gpu_with_dp_blocks(threads);
    kmlut::Backend& on = threads == 256 ? *gpu : *dp_gpu;
    const std::string blocks = ", DP " + std::to_string(threads);
    rows.push_back(single_tensor("4096x11008 fp16, w4 per-tensor" + blocks, wide, false, on, *cpu,
                                 repetitions));
    rows.push_back(
        single_tensor("4096x11008 fp16, w4 group-16" + blocks, wide, true, on, *cpu, repetitions));
  }
  if (!quick) {
    const std::vector<std::uint16_t> square = llm_like_fp16(std::size_t{4096} * 4096, 9);
    rows.push_back(llama_linear_weights(square, wide.front(), *gpu, *cpu));
  }
  std::printf("device: %s; peak memory bandwidth %.2f TB/s (from the memory clock and bus)\n",
              kmlut::cuda::device_description().c_str(), peak / 1e12);
  std::printf("| %-42s | %11s | %11s | %9s | %8s | %12s | %14s | %9s | %9s |\n", "workload",
              "kernels ms", "span ms", "GB/s", "floor ms", "end-to-end ms", "CPU ms", "CPU/span",
              "parity");
  std::printf("|%s|\n", std::string(150, '-').c_str());
  for (const Row& row : rows) {
    std::printf("| %-42s | %11.3f | %11.3f | %9.1f | %8.3f | %12.1f | %14s | %8.1fx | %9s |\n",
                row.workload.c_str(), row.kernels_ms, row.span_ms,
                row.bytes / (row.kernels_ms * 1e-3) / 1e9, row.bytes / peak * 1e3,
                row.end_to_end_ms,
                (std::to_string(static_cast<long>(row.cpu_ms)) + row.cpu_note).c_str(),
                row.cpu_ms / row.span_ms, row.parity.c_str());
  }
  std::printf(
      "kernels: the phases' kernel time; span: first kernel to last, with the host round trip "
      "between the phases; floor: reading the fp16 weights once at peak bandwidth; end-to-end: "
      "run_batch wall time (staging, copies, results); DP n: exact-DP blocks of n threads.\n\n");
  std::printf("| %-42s | %8s | %10s | %8s | %10s | %9s | %10s |\n", "phases (median ms)", "scale",
              "histograms", "unique", "round trip", "exact DP", "assignment");
  std::printf("|%s|\n", std::string(112, '-').c_str());
  for (const Row& row : rows) {
    if (row.phases.requests == 0)
      continue;  // the model row sums batches
    const kmlut::cuda::BatchTimings& t = row.phases;
    std::printf("| %-42s | %8.3f | %10.3f | %8.3f | %10.3f | %9.3f | %10.3f |\n",
                row.workload.c_str(), t.scale, t.histograms, t.unique_values, t.round_trip,
                t.exact_dp, t.assignment);
  }
  return 0;
}
