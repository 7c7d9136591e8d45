// The CPU backend: prepares each request (checks, per-channel scale, sensitivities, block layout),
// clusters every block of every request as one task on a thread pool, quantizes the LUTs when
// asked, then measures the error and packs the indices. Each task writes only its own block's
// outputs, and a vector block large enough to be split runs its chunks through the same pool with
// fixed-order reductions, so the bytes do not depend on threads.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>

#include "host/backends/cpu/random_stream.hpp"
#include "host/backends/cpu/scalar_block_clusterer.hpp"
#include "host/backends/cpu/thread_pool.hpp"
#include "host/backends/cpu/vector_block_clusterer.hpp"
#include "host/backends/cpu/vector_fitter.hpp"
#include "host/palettize/block_layout.hpp"
#include "host/palettize/float_format_dispatch.hpp"
#include "host/palettize/preflight.hpp"
#include "host/palettize/result_shapes.hpp"
#include "host/palettize/sensitivity.hpp"
#include "host/palettize/vector_block_layout.hpp"
#include "kmlut/error.hpp"
#include "kmlut/numeric/bit_packing.hpp"
#include "kmlut/numeric/lut_quantization.hpp"
#include "kmlut/numeric/rounding.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut {
namespace cpu {
namespace {

// A vector block with at least this many vectors runs alone, its chunks spread over the pool;
// smaller blocks are tasks of their own.
constexpr std::uint64_t kSplitBlockVectors = 65536;

struct PreparedJob {
  const PalettizeRequest* request = nullptr;
  PalettizeResult result;
  bool vector = false;                         // cluster_dim > 1
  palettize::BlockLayout layout;               // scalar blocks
  palettize::VectorBlockLayout vector_layout;  // vector blocks
  std::vector<std::uint8_t> scaled;  // W / scale in the weight's dtype, with per-channel scale
  const void* values = nullptr;      // what is clustered: the weight or `scaled`
  std::uint64_t row_size = 1;        // elements per output channel (axis-0 row)
  const float* rounding_table = nullptr;
  const VectorFitter* vector_fitter = nullptr;  // null: fit_lloyd_kmeans
  std::vector<float> sensitivity;  // normalized, one per element; empty without sensitivities
  std::vector<double> block_sse;
  std::vector<double> block_sq_norm;
  std::vector<std::uint8_t> block_unique;
  std::vector<std::size_t> block_iterations;
  std::vector<BackendPhaseSeconds> block_phases;
  // With lut_qspec: each block's codes, scale and zero point. Meanwhile result.lut holds the
  // dequantized entries in the weight's dtype, from which the error is measured.
  std::vector<std::uint8_t> lut_codes;
  std::vector<std::uint8_t> lut_scales;  // in the weight's dtype
  std::vector<std::uint8_t> lut_zero_points;

  std::size_t block_count() const {
    return vector ? vector_layout.blocks.size() : layout.blocks.size();
  }
  // Entries of one LUT: 2^n_bits rows of cluster_dim values.
  std::size_t lut_entries() const {
    return (std::size_t{1} << request->spec.n_bits) *
           static_cast<std::size_t>(request->spec.cluster_dim);
  }
};

struct BlockRef {
  std::size_t job;
  std::size_t block;
};

// One worker's scratch.
struct Clusterers {
  ScalarBlockClusterer scalar;
  VectorBlockClusterer vector;
  std::vector<float> lut_entries;  // a LUT's entries as float32, for lut_qspec
};

// Rejects non-finite values (unless the caller's preflight did) and, with per-channel scale,
// computes s[r] = max |W[r, ...]| (0 -> 1) and W / s rounded to the weight's dtype, as torch does.
template <class Tag>
std::string scale_and_check(PreparedJob& job) {
  using Storage = typename Tag::Storage;
  using Format = typename Tag::Format;
  const TensorView& weight = job.request->weight;
  const auto* w = static_cast<const Storage*>(weight.data);
  const std::uint64_t numel = weight.numel();
  const std::uint64_t rows = numel / job.row_size;
  if (!job.request->spec.enable_per_channel_scale) {
    job.values = weight.data;
    return job.request->values_checked ? std::string{} : palettize::first_non_finite(weight);
  }
  std::vector<Storage> scale(rows);
  for (std::uint64_t r = 0; r < rows; ++r) {
    double row_max = 0.0;
    Storage row_max_stored = Format::from_double(0.0);
    for (std::uint64_t i = r * job.row_size; i < (r + 1) * job.row_size; ++i) {
      const double value = Format::to_double(w[i]);
      if (!std::isfinite(value))
        return "non-finite value at element " + std::to_string(i);
      if (std::fabs(value) > row_max) {
        row_max = std::fabs(value);
        row_max_stored = Format::from_double(row_max);
      }
    }
    scale[r] = row_max == 0.0 ? Format::from_double(1.0) : row_max_stored;
  }
  job.scaled.resize(numel * sizeof(Storage));
  auto* q = reinterpret_cast<Storage*>(job.scaled.data());
  for (std::uint64_t i = 0; i < numel; ++i)
    q[i] = Format::divide(w[i], scale[i / job.row_size]);
  job.values = job.scaled.data();
  job.result.scale.resize(rows * sizeof(Storage));
  std::memcpy(job.result.scale.data(), scale.data(), job.result.scale.size());
  return {};
}

// Ŵ for an element: a LUT entry, times the row's per-channel scale in the weight's dtype.
template <class Tag>
struct Reconstruction {
  using Storage = typename Tag::Storage;
  const Storage* scale = nullptr;  // null without per-channel scale
  std::uint64_t row_size = 1;

  double operator()(Storage code, std::uint64_t element) const {
    if (scale == nullptr)
      return Tag::Format::to_double(code);
    return Tag::Format::to_double(Tag::Format::multiply(code, scale[element / row_size]));
  }
};

template <class Tag>
Reconstruction<Tag> reconstruction(const PreparedJob& job) {
  const auto* scale = reinterpret_cast<const typename Tag::Storage*>(job.result.scale.data());
  return {job.result.scale.empty() ? nullptr : scale, job.row_size};
}

// Σ (W − Ŵ)² and Σ W² over one scalar block.
template <class Tag>
void measure_scalar_block(PreparedJob& job, std::size_t block) {
  using Storage = typename Tag::Storage;
  const auto* w = static_cast<const Storage*>(job.request->weight.data);
  const auto* lut =
      reinterpret_cast<const Storage*>(job.result.lut.data()) + block * job.lut_entries();
  const Reconstruction<Tag> approximate = reconstruction<Tag>(job);
  double sse = 0.0;
  double sq_norm = 0.0;
  job.layout.blocks[block].for_each([&](std::uint64_t i) {
    const double original = Tag::Format::to_double(w[i]);
    const double error = original - approximate(lut[job.result.indices[i]], i);
    sse += error * error;
    sq_norm += original * original;
  });
  job.block_sse[block] = sse;
  job.block_sq_norm[block] = sq_norm;
}

// The same over one vector block: element (row, c) is entry row mod d of its vector's LUT row.
template <class Tag>
void measure_vector_block(PreparedJob& job, std::size_t block) {
  using Storage = typename Tag::Storage;
  const auto* w = static_cast<const Storage*>(job.request->weight.data);
  const auto* lut =
      reinterpret_cast<const Storage*>(job.result.lut.data()) + block * job.lut_entries();
  const Reconstruction<Tag> approximate = reconstruction<Tag>(job);
  const palettize::VectorBlock& b = job.vector_layout.blocks[block];
  const std::uint64_t cols = job.vector_layout.matrix_cols;
  const auto d = static_cast<std::uint64_t>(job.request->spec.cluster_dim);
  double sse = 0.0;
  double sq_norm = 0.0;
  for (std::uint64_t row = b.row_begin; row < b.row_begin + b.rows; ++row) {
    const std::uint8_t* indices = job.result.indices.data() + row / d * cols;
    for (std::uint64_t c = b.col_begin; c < b.col_begin + b.cols; ++c) {
      const std::uint64_t i = row * cols + c;
      const double original = Tag::Format::to_double(w[i]);
      const double error = original - approximate(lut[indices[c] * d + row % d], i);
      sse += error * error;
      sq_norm += original * original;
    }
  }
  job.block_sse[block] = sse;
  job.block_sq_norm[block] = sq_norm;
}

// Quantizes one block's LUT (lut_qspec) with coreai_opt's arithmetic (numeric::quantize_lut, which
// the CUDA backend runs too); the dequantized entries stay in place for the measurement. The scale
// is a value of the weight's dtype and is stored in it.
template <class Tag>
void quantize_block_lut(PreparedJob& job, std::size_t block, std::vector<float>& values) {
  using Storage = typename Tag::Storage;
  const LutQSpec& qspec = *job.request->spec.lut_qspec;
  const std::size_t entries = job.lut_entries();
  auto* lut = reinterpret_cast<Storage*>(job.result.lut.data()) + block * entries;
  values.resize(entries);
  const numeric::LutQuantization q = numeric::quantize_lut<typename Tag::Format>(
      lut, entries, qspec.dtype == LutDType::Int8, qspec.qscheme == QScheme::Symmetric,
      values.data(), job.lut_codes.data() + block * entries);
  const Storage scale = Tag::Format::from_double(q.scale);
  std::memcpy(job.lut_scales.data() + block * sizeof(Storage), &scale, sizeof(Storage));
  job.lut_zero_points[block] = static_cast<std::uint8_t>(q.zero_point);
}

// Packs the indices in chunks of whole bytes on the pool: each chunk writes its own bytes.
void pack_indices(PalettizeResult& result, int n_bits, ThreadPool& pool) {
  constexpr std::size_t kChunkIndices = std::size_t{1} << 20;  // a multiple of 8
  result.packed_indices.assign(numeric::packed_size(result.indices.size(), n_bits), 0);
  const std::size_t count = result.indices.size();
  const std::size_t whole = count / 8 * 8;
  const std::size_t chunks = (whole + kChunkIndices - 1) / kChunkIndices;
  pool.run(chunks, [&](unsigned, std::size_t chunk) {
    const std::uint8_t* indices = result.indices.data();
    const std::size_t end = std::min(whole, (chunk + 1) * kChunkIndices);
    std::uint8_t* out = result.packed_indices.data() + chunk * kChunkIndices / 8 * n_bits;
    // Eight indices fill exactly n_bits bytes: gather them in a word, store its low n_bits bytes.
    for (std::size_t i = chunk * kChunkIndices; i < end; i += 8, out += n_bits) {
      std::uint64_t word = 0;
      for (int j = 0; j < 8; ++j)
        word |= std::uint64_t{indices[i + j]} << (j * n_bits);
      for (int b = 0; b < n_bits; ++b)
        out[b] = static_cast<std::uint8_t>(word >> (8 * b));
    }
  });
  for (std::size_t i = whole; i < count; ++i) {
    numeric::pack_index(result.packed_indices.data(), i, n_bits, result.indices[i]);
  }
}

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads, VectorFitter vector_fitter = nullptr)
      : pool_(threads > 0 ? static_cast<unsigned>(threads)
                          : std::max(1u, std::thread::hardware_concurrency())),
        vector_fitter_(std::move(vector_fitter)) {}

  std::string name() const override { return "cpu"; }

  std::vector<PalettizeResult> run_batch(const std::vector<PalettizeRequest>& requests) override {
    std::vector<PreparedJob> jobs(requests.size());
    std::vector<BlockRef> tasks;
    std::vector<BlockRef> split;
    for (std::size_t j = 0; j < requests.size(); ++j) {
      prepare(requests[j], jobs[j]);
      for (std::size_t b = 0; b < jobs[j].block_count(); ++b)
        (is_split(jobs[j], b) ? split : tasks).push_back({j, b});
    }
    std::vector<Clusterers> clusterers(pool_.size());
    pool_.run(tasks.size(), [&](unsigned worker, std::size_t task) {
      run_block(clusterers[worker], jobs[tasks[task].job], tasks[task].block, run_serially,
                nullptr);
    });
    const ChunkRunner on_pool = [this](std::size_t chunks,
                                       const std::function<void(std::size_t)>& body) {
      pool_.run(chunks, [&](unsigned, std::size_t chunk) { body(chunk); });
    };
    for (const BlockRef& ref : split)
      run_block(clusterers[0], jobs[ref.job], ref.block, on_pool, &pool_);
    std::vector<PalettizeResult> results;
    results.reserve(jobs.size());
    for (PreparedJob& job : jobs)
      results.push_back(finish(job, pool_));
    return results;
  }

 private:
  static bool is_split(const PreparedJob& job, std::size_t block) {
    if (!job.vector)
      return job.layout.blocks[block].size() > ScalarBlockClusterer::kChunkElements;
    return job.vector_layout.blocks[block].vectors(job.request->spec.cluster_dim) >=
           kSplitBlockVectors;
  }

  void prepare(const PalettizeRequest& request, PreparedJob& job) {
    job.request = &request;
    job.result.lut_dtype = request.weight.dtype;
    job.vector = request.spec.cluster_dim > 1;
    std::string reason = palettize::unsupported_reason(request);
    if (reason.empty() && job.vector) {
      job.vector_layout = palettize::plan_vector_blocks(request.weight.shape, request.spec);
      reason = job.vector_layout.skip_reason;
    } else if (reason.empty()) {
      job.layout = palettize::plan_scalar_blocks(request.weight.shape, request.spec);
      reason = job.layout.skip_reason;
    }
    if (reason.empty()) {
      job.row_size = request.weight.numel() / static_cast<std::uint64_t>(request.weight.shape[0]);
      reason = palettize::with_float_format(
          request.weight.dtype, [&](auto tag) { return scale_and_check<decltype(tag)>(job); });
    }
    if (!reason.empty()) {
      job.result.skip_reason = std::move(reason);
      job.layout.blocks.clear();
      job.vector_layout.blocks.clear();
      return;
    }
    job.sensitivity = palettize::normalized_sensitivity(request);
    const std::size_t blocks = job.block_count();
    job.result.lut.resize(blocks * job.lut_entries() * dtype_bits(request.weight.dtype) / 8);
    job.result.indices.resize(request.weight.numel() /
                              static_cast<std::uint64_t>(request.spec.cluster_dim));
    job.block_sse.assign(blocks, 0.0);
    job.block_sq_norm.assign(blocks, 0.0);
    job.block_unique.assign(blocks, 0);
    job.block_iterations.assign(blocks, 0);
    job.block_phases.assign(blocks, {});
    if (request.spec.lut_qspec) {
      job.lut_codes.resize(blocks * job.lut_entries());
      job.lut_scales.resize(blocks * dtype_bits(request.weight.dtype) / 8);
      job.lut_zero_points.resize(blocks);
    }
    if (vector_fitter_)
      job.vector_fitter = &vector_fitter_;
    if (request.enable_fast_kmeans_mode && !job.vector)
      job.rounding_table = rounding_table(request.rounding_precision);
  }

  // A split block's chunks run on `runner` (vector) or `pool` (scalar); null: serially.
  static void run_block(Clusterers& clusterers, PreparedJob& job, std::size_t block,
                        const ChunkRunner& runner, ThreadPool* pool) {
    const bool measured = job.vector ? cluster_vector_block(clusterers.vector, job, block, runner)
                                     : cluster_scalar_block(clusterers.scalar, job, block, pool);
    const DType dtype = job.request->weight.dtype;
    if (job.request->spec.lut_qspec) {
      palettize::with_float_format(dtype, [&](auto tag) {
        quantize_block_lut<decltype(tag)>(job, block, clusterers.lut_entries);
      });
    }
    if (measured)
      return;
    const auto start = std::chrono::steady_clock::now();
    palettize::with_float_format(dtype, [&](auto tag) {
      if (job.vector) {
        measure_vector_block<decltype(tag)>(job, block);
      } else {
        measure_scalar_block<decltype(tag)>(job, block);
      }
    });
    if (!job.vector) {
      job.block_phases[block].assign +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }

  static std::uint8_t* block_lut(PreparedJob& job, std::size_t block) {
    const std::size_t entry_bytes = dtype_bits(job.request->weight.dtype) / 8;
    return job.result.lut.data() + block * job.lut_entries() * entry_bytes;
  }

  // Returns whether the clusterer measured the block's error itself.
  static bool cluster_scalar_block(ScalarBlockClusterer& clusterer, PreparedJob& job,
                                   std::size_t block, ThreadPool* pool) {
    const PalettizeRequest& request = *job.request;
    ScalarBlockTask task;
    task.dtype = request.weight.dtype;
    task.values = job.values;
    task.sensitivity = job.sensitivity.empty() ? nullptr : job.sensitivity.data();
    task.measure = job.values == request.weight.data && !request.spec.lut_qspec;
    task.block = job.layout.blocks[block];
    task.n_bits = request.spec.n_bits;
    task.fast_mode = request.enable_fast_kmeans_mode;
    task.rounding_table = job.rounding_table;
    task.indices = job.result.indices.data();
    task.lut = block_lut(job, block);
    const ScalarBlockOutcome outcome = clusterer.cluster(task, pool);
    job.block_unique[block] = outcome.unique_path ? 1 : 0;
    job.block_phases[block] = outcome.seconds;
    if (outcome.measured) {
      job.block_sse[block] = outcome.sse;
      job.block_sq_norm[block] = outcome.sq_norm;
    }
    return outcome.measured;
  }

  static bool cluster_vector_block(VectorBlockClusterer& clusterer, PreparedJob& job,
                                   std::size_t block, const ChunkRunner& runner) {
    const PalettizeRequest& request = *job.request;
    VectorBlockTask task;
    task.dtype = request.weight.dtype;
    task.values = job.values;
    task.sensitivity = job.sensitivity.empty() ? nullptr : job.sensitivity.data();
    task.block = job.vector_layout.blocks[block];
    task.matrix_cols = job.vector_layout.matrix_cols;
    task.cluster_dim = request.spec.cluster_dim;
    task.n_bits = request.spec.n_bits;
    task.seed = derive_seed(request.seed, block);
    task.indices = job.result.indices.data();
    task.lut = block_lut(job, block);
    task.fitter = job.vector_fitter;
    job.block_iterations[block] = clusterer.cluster(task, runner).iterations;
    return false;
  }

  static PalettizeResult finish(PreparedJob& job, ThreadPool& pool) {
    PalettizeResult& result = job.result;
    if (!result.skip_reason.empty())
      return std::move(result);
    const PalettizeRequest& request = *job.request;
    result.palettized = true;
    palettize::set_part_shapes(request, result);
    // Blocks are summed in their order, not as they finish: the same bytes for any thread count.
    result.sse = std::accumulate(job.block_sse.begin(), job.block_sse.end(), 0.0);
    result.weight_sq_norm =
        std::accumulate(job.block_sq_norm.begin(), job.block_sq_norm.end(), 0.0);
    result.unique_path_blocks =
        static_cast<std::size_t>(std::count(job.block_unique.begin(), job.block_unique.end(), 1));
    result.lloyd_iterations =
        std::accumulate(job.block_iterations.begin(), job.block_iterations.end(), std::size_t{0});
    for (const BackendPhaseSeconds& phases : job.block_phases)
      result.phases += phases;
    const auto start = std::chrono::steady_clock::now();
    pack_indices(result, request.spec.n_bits, pool);
    if (!job.vector) {
      result.phases.pack =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    if (request.spec.lut_qspec) {
      result.lut = std::move(job.lut_codes);
      result.lut_scale = std::move(job.lut_scales);
      result.lut_zero_point = std::move(job.lut_zero_points);
    }
    return std::move(result);
  }

  // Computed once per rounding precision and backend.
  const float* rounding_table(int precision) {
    std::lock_guard<std::mutex> lock(tables_mutex_);
    std::vector<float>& table = rounding_tables_[precision];
    if (table.empty()) {
      table.resize(numeric::kHalfPatterns);
      numeric::fill_rounding_table(precision, table.data());
    }
    return table.data();
  }

  ThreadPool pool_;  // lives as long as the backend: one set of threads for every batch
  VectorFitter vector_fitter_;
  std::mutex tables_mutex_;
  std::map<int, std::vector<float>> rounding_tables_;
};

}  // namespace
}  // namespace cpu

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return std::make_unique<cpu::CpuBackend>(threads);
}

std::unique_ptr<Backend> cpu::make_cpu_backend_with_vector_fitter(int threads,
                                                                  VectorFitter fitter) {
  return std::make_unique<cpu::CpuBackend>(threads, std::move(fitter));
}

}  // namespace kmlut
