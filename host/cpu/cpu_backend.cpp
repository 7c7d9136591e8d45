// The CPU backend: prepares each request (checks, per-channel scale, block layout), clusters every
// block of every request as one task on a thread pool, then measures the error and packs the
// indices. Each task writes only its own block's outputs, so the bytes do not depend on threads.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "host/cpu/block_layout.hpp"
#include "host/cpu/parallel_for.hpp"
#include "host/cpu/scalar_block_clusterer.hpp"
#include "host/cpu/weight_format.hpp"
#include "kmlut/numeric/bit_packing.hpp"
#include "kmlut/numeric/rounding.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut {
namespace cpu {
namespace {

struct PreparedJob {
  const PalettizeRequest* request = nullptr;
  PalettizeResult result;
  BlockLayout layout;
  std::vector<std::uint8_t> scaled;  // W / scale in the weight's dtype, with per-channel scale
  const void* values = nullptr;      // what is clustered: the weight or `scaled`
  std::uint64_t row_size = 1;        // elements per output channel (axis-0 row)
  const float* rounding_table = nullptr;
  std::vector<double> block_sse;
  std::vector<double> block_sq_norm;
  std::vector<std::uint8_t> block_unique;
};

struct BlockRef {
  std::size_t job;
  std::size_t block;
};

// Reasons a request is left dense before any clustering (DESIGN §3.4).
std::string unsupported_reason(const PalettizeRequest& request) {
  const PalettizationSpec& spec = request.spec;
  if (!is_palettizable_dtype(request.weight.dtype)) {
    return "dtype " + std::string(dtype_name(request.weight.dtype)) + " is not palettizable";
  }
  if (request.weight.numel() < 2)
    return "fewer than 2 elements";
  if (spec.cluster_dim > 1)
    return "cluster_dim > 1 (vector palettization) is not supported yet";
  if (spec.lut_qspec)
    return "lut_qspec (LUT quantization) is not supported yet";
  if (spec.enable_per_channel_scale && request.weight.shape.size() < 2) {
    return "per-channel scale needs a tensor of rank >= 2";
  }
  return {};
}

template <class Tag>
std::string first_non_finite(const TensorView& weight) {
  const auto* w = static_cast<const typename Tag::Storage*>(weight.data);
  const std::uint64_t numel = weight.numel();
  for (std::uint64_t i = 0; i < numel; ++i) {
    if (!Tag::Format::is_finite(w[i]))
      return "non-finite value at element " + std::to_string(i);
  }
  return {};
}

// Rejects non-finite values and, with per-channel scale, computes s[r] = max |W[r, ...]| (0 -> 1)
// and W / s rounded to the weight's dtype, as torch does.
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
    return first_non_finite<Tag>(weight);
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
  job.result.scale_shape.assign(weight.shape.size(), 1);
  job.result.scale_shape[0] = weight.shape[0];
  return {};
}

// Σ (W − Ŵ)² and Σ W² over one block, Ŵ = LUT[index] (× scale, in the weight's dtype).
template <class Tag>
void measure_block(PreparedJob& job, std::size_t block) {
  using Storage = typename Tag::Storage;
  using Format = typename Tag::Format;
  const auto* w = static_cast<const Storage*>(job.request->weight.data);
  const auto* lut =
      reinterpret_cast<const Storage*>(job.result.lut.data()) + (block << job.request->spec.n_bits);
  const auto* scale = reinterpret_cast<const Storage*>(job.result.scale.data());
  const bool scaled = !job.result.scale.empty();
  double sse = 0.0;
  double sq_norm = 0.0;
  job.layout.blocks[block].for_each([&](std::uint64_t i) {
    const Storage code = lut[job.result.indices[i]];
    const Storage approximation = scaled ? Format::multiply(code, scale[i / job.row_size]) : code;
    const double original = Format::to_double(w[i]);
    const double error = original - Format::to_double(approximation);
    sse += error * error;
    sq_norm += original * original;
  });
  job.block_sse[block] = sse;
  job.block_sq_norm[block] = sq_norm;
}

void pack_indices(PalettizeResult& result, int n_bits) {
  result.packed_indices.assign(numeric::packed_size(result.indices.size(), n_bits), 0);
  const std::uint8_t* indices = result.indices.data();
  std::uint8_t* out = result.packed_indices.data();
  const std::size_t count = result.indices.size();
  // Eight indices fill exactly n_bits bytes: gather them in a word, store its low n_bits bytes.
  const std::size_t whole = count / 8 * 8;
  for (std::size_t i = 0; i < whole; i += 8, out += n_bits) {
    std::uint64_t word = 0;
    for (int j = 0; j < 8; ++j)
      word |= std::uint64_t{indices[i + j]} << (j * n_bits);
    for (int b = 0; b < n_bits; ++b)
      out[b] = static_cast<std::uint8_t>(word >> (8 * b));
  }
  for (std::size_t i = whole; i < count; ++i) {
    numeric::pack_index(result.packed_indices.data(), i, n_bits, indices[i]);
  }
}

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads)
      : threads_(threads > 0 ? static_cast<unsigned>(threads)
                             : std::max(1u, std::thread::hardware_concurrency())) {}

  std::string name() const override { return "cpu"; }

  std::vector<PalettizeResult> run_batch(const std::vector<PalettizeRequest>& requests) override {
    std::vector<PreparedJob> jobs(requests.size());
    std::vector<BlockRef> blocks;
    for (std::size_t j = 0; j < requests.size(); ++j) {
      prepare(requests[j], jobs[j]);
      for (std::size_t b = 0; b < jobs[j].layout.blocks.size(); ++b)
        blocks.push_back({j, b});
    }
    std::vector<ScalarBlockClusterer> clusterers(threads_);
    parallel_for(blocks.size(), threads_, [&](unsigned worker, std::size_t task) {
      run_block(clusterers[worker], jobs[blocks[task].job], blocks[task].block);
    });
    std::vector<PalettizeResult> results;
    results.reserve(jobs.size());
    for (PreparedJob& job : jobs)
      results.push_back(finish(job));
    return results;
  }

 private:
  void prepare(const PalettizeRequest& request, PreparedJob& job) {
    job.request = &request;
    job.result.lut_dtype = request.weight.dtype;
    std::string reason = unsupported_reason(request);
    if (reason.empty()) {
      job.layout = plan_scalar_blocks(request.weight.shape, request.spec);
      reason = job.layout.skip_reason;
    }
    if (reason.empty()) {
      job.row_size = request.weight.numel() / static_cast<std::uint64_t>(request.weight.shape[0]);
      reason = with_weight_format(request.weight.dtype,
                                  [&](auto tag) { return scale_and_check<decltype(tag)>(job); });
    }
    if (!reason.empty()) {
      job.result.skip_reason = std::move(reason);
      job.layout.blocks.clear();
      return;
    }
    const std::size_t blocks = job.layout.blocks.size();
    const std::size_t entries = std::size_t{1} << request.spec.n_bits;
    job.result.lut.resize(blocks * entries * dtype_bits(request.weight.dtype) / 8);
    job.result.indices.resize(request.weight.numel());
    job.block_sse.assign(blocks, 0.0);
    job.block_sq_norm.assign(blocks, 0.0);
    job.block_unique.assign(blocks, 0);
    if (request.enable_fast_kmeans_mode)
      job.rounding_table = rounding_table(request.rounding_precision);
  }

  static void run_block(ScalarBlockClusterer& clusterer, PreparedJob& job, std::size_t block) {
    const PalettizeRequest& request = *job.request;
    ScalarBlockTask task;
    task.dtype = request.weight.dtype;
    task.values = job.values;
    task.values_are_weights = job.values == request.weight.data;
    task.block = job.layout.blocks[block];
    task.n_bits = request.spec.n_bits;
    task.fast_mode = request.enable_fast_kmeans_mode;
    task.rounding_table = job.rounding_table;
    task.indices = job.result.indices.data();
    const std::size_t entry_bytes = dtype_bits(request.weight.dtype) / 8;
    task.lut = job.result.lut.data() + (block << request.spec.n_bits) * entry_bytes;
    const ScalarBlockOutcome outcome = clusterer.cluster(task);
    job.block_unique[block] = outcome.unique_path ? 1 : 0;
    if (outcome.measured) {
      job.block_sse[block] = outcome.sse;
      job.block_sq_norm[block] = outcome.sq_norm;
      return;
    }
    with_weight_format(request.weight.dtype,
                       [&](auto tag) { measure_block<decltype(tag)>(job, block); });
  }

  static PalettizeResult finish(PreparedJob& job) {
    PalettizeResult& result = job.result;
    if (!result.skip_reason.empty())
      return std::move(result);
    const PalettizeRequest& request = *job.request;
    result.palettized = true;
    result.num_luts = job.layout.blocks.size();
    result.lut_shape = job.layout.lut_grid;
    result.lut_shape.push_back(std::int64_t{1} << request.spec.n_bits);
    result.lut_shape.push_back(1);
    result.index_shape = request.weight.shape;
    // Blocks are summed in their order, not as they finish: the same bytes for any thread count.
    result.sse = std::accumulate(job.block_sse.begin(), job.block_sse.end(), 0.0);
    result.weight_sq_norm =
        std::accumulate(job.block_sq_norm.begin(), job.block_sq_norm.end(), 0.0);
    result.unique_path_blocks =
        static_cast<std::size_t>(std::count(job.block_unique.begin(), job.block_unique.end(), 1));
    pack_indices(result, request.spec.n_bits);
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

  unsigned threads_;
  std::mutex tables_mutex_;
  std::map<int, std::vector<float>> rounding_tables_;
};

}  // namespace
}  // namespace cpu

std::uint64_t TensorView::numel() const {
  return cpu::product(shape.begin(), shape.end());
}

std::string preflight_skip_reason(const PalettizeRequest& request, bool check_values) {
  std::string reason = cpu::unsupported_reason(request);
  if (reason.empty())
    reason = cpu::plan_scalar_blocks(request.weight.shape, request.spec).skip_reason;
  if (reason.empty() && check_values) {
    reason = cpu::with_weight_format(request.weight.dtype, [&](auto tag) {
      return cpu::first_non_finite<decltype(tag)>(request.weight);
    });
  }
  return reason;
}

PalettizedShapes palettized_shapes(const PalettizeRequest& request) {
  PalettizedShapes shapes;
  shapes.lut_shape = cpu::plan_scalar_blocks(request.weight.shape, request.spec).lut_grid;
  shapes.lut_shape.push_back(std::int64_t{1} << request.spec.n_bits);
  shapes.lut_shape.push_back(request.spec.cluster_dim);
  shapes.index_count =
      request.weight.numel() / static_cast<std::uint64_t>(request.spec.cluster_dim);
  shapes.packed_index_bytes = numeric::packed_size(shapes.index_count, request.spec.n_bits);
  if (request.spec.enable_per_channel_scale) {
    shapes.scale_shape.assign(request.weight.shape.size(), 1);
    shapes.scale_shape[0] = request.weight.shape[0];
  }
  return shapes;
}

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return std::make_unique<cpu::CpuBackend>(threads);
}

}  // namespace kmlut
