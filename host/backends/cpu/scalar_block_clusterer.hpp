// Clusters one block of a scalar (cluster_dim = 1) palettization, exactly as coreai_opt does
// (docs/architecture.md §5.5 step 4): the weighted-unique path through FastModeHistogram when the
// block is F16 or fast mode applies, else every value as a point; then the exact 1-D k-means, the
// ascending LUT padded with its last centroid, and each element's index.
#pragma once

#include <cstdint>
#include <vector>

#include "host/backends/cpu/fast_mode_histogram.hpp"
#include "host/backends/cpu/float_radix_sort.hpp"
#include "host/backends/cpu/simd/scalar_kernels.hpp"
#include "host/backends/cpu/simd/simd_target.hpp"
#include "host/backends/cpu/thread_pool.hpp"
#include "host/palettize/block_layout.hpp"
#include "kmlut/dtype.hpp"
#include "kmlut/exact_kmeans1d.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut::cpu {

struct ScalarBlockTask {
  DType dtype = DType::F32;
  const void* values = nullptr;        // the whole (scaled) tensor in its dtype
  const float* sensitivity = nullptr;  // normalized, one per element, or null (weight 1)
  // The clusterer may measure the error itself: `values` are the original weights (no per-channel
  // scale) and the LUT stays as written (no LUT quantization).
  bool measure = true;
  palettize::BlockRuns block;
  int n_bits = 4;
  bool fast_mode = true;
  const float* rounding_table = nullptr;  // fp16 pattern -> rounded value; used in fast mode
  std::uint8_t* indices = nullptr;        // the whole tensor's indices, one byte per element
  void* lut = nullptr;                    // this block's 2^n_bits entries, in dtype
};

struct ScalarBlockOutcome {
  bool unique_path = false;
  // With `measure` the clusterer measures the block itself (per histogram bin for 16-bit
  // weights, else while assigning); then `measured` is set and sse / sq_norm hold
  // Σ (W − Ŵ)² and Σ W² of the block.
  bool measured = false;
  double sse = 0.0;
  double sq_norm = 0.0;
  BackendPhaseSeconds seconds;  // unique, solve and assign
};

class Laps;  // a stopwatch of the clusterer's phases

// Holds the scratch of one worker thread; not thread-safe.
class ScalarBlockClusterer {
 public:
  // `counting` forces how the histogram counts (tests compare the two); by default it follows the
  // block's size. `simd` picks the kernels' instruction set (the same results with any).
  explicit ScalarBlockClusterer(
      FastModeHistogram::Counting counting = FastModeHistogram::Counting::BySize,
      SimdTarget simd = active_simd_target())
      : kernels_(&scalar_kernels(simd)), histogram_(counting) {}

  // With a pool, a block of several chunks (kChunkElements) counts and assigns its chunks on it.
  // The chunks do not depend on the pool: the error is summed per chunk, then over the chunks in
  // order, so the bytes are the same with any pool or none.
  ScalarBlockOutcome cluster(const ScalarBlockTask& task, ThreadPool* pool = nullptr);

  static constexpr std::uint64_t kChunkElements = std::uint64_t{1} << 18;
  // Elements go through the kernels a tile at a time; a tile's keys and values live on the stack
  // of the thread that works on it. Tiles start at each run of the block and at each chunk, so
  // the error's lane order (scalar_kernels.hpp) is fixed by the block's layout alone.
  static constexpr std::size_t kTile = 512;

 private:
  template <class Tag>
  ScalarBlockOutcome cluster_as(const ScalarBlockTask& task);
  template <class Tag>
  bool count_patterns(const ScalarBlockTask& task);
  template <class Tag>
  bool count_span(FastModeHistogram& histogram, const typename Tag::Storage* values,
                  std::uint64_t start, std::uint64_t stop) const;
  template <class Tag>
  bool keys_of(const typename Tag::Storage* values, std::size_t n, std::uint16_t* keys,
               KeyRange& range) const;
  template <class Tag>
  void solve_unique(const ScalarBlockTask& task, bool round, Laps& laps,
                    BackendPhaseSeconds& seconds);
  template <class Tag>
  void sum_sensitivity_per_value(const ScalarBlockTask& task);
  template <class Tag>
  void sort_block(const ScalarBlockTask& task);
  template <class Tag>
  void solve_all_values(const ScalarBlockTask& task, Laps& laps, BackendPhaseSeconds& seconds);
  template <class Tag>
  void measure_from_histogram(const ScalarBlockTask& task, ScalarBlockOutcome& outcome) const;
  template <class Tag, class AssignTile>
  void assign(const ScalarBlockTask& task, ScalarBlockOutcome& outcome, AssignTile&& assign_tile);
  template <class Tag>
  void write_lut(const ScalarBlockTask& task);
  // Calls body(worker, chunk, begin, end) for each chunk of the block, on the pool if there is one.
  template <class Body>
  void over_chunks(const ScalarBlockTask& task, Body&& body) const;

  const ScalarKernels* kernels_;
  ThreadPool* pool_ = nullptr;
  FastModeHistogram histogram_;
  std::vector<FastModeHistogram> partials_;  // a split block's counts, one per worker
  std::vector<std::uint8_t> chunk_in_range_;
  std::vector<double> chunk_sse_;
  std::vector<double> chunk_sq_norm_;
  std::vector<double> lut_values_;  // the block's LUT as doubles, for measuring while assigning
  ExactKMeans1D solver_;
  KMeans1DSolution solution_;
  std::vector<double> points_;
  std::vector<double> weights_;
  std::vector<double> sorted_;          // all-values path: every value of the block, sorted
  std::vector<double> sorted_weights_;  // ... and their sensitivities, with sensitivities
  std::vector<std::uint64_t> order_;    // ... the element order sorting them (F64)
  std::vector<std::uint32_t> keys_;     // ... or their radix sort keys (float32 values)
  std::vector<std::uint32_t> key_scratch_;
  std::vector<KeyedWeight> keyed_weights_;  // ... with their sensitivities
  std::vector<KeyedWeight> keyed_weight_scratch_;
  std::vector<std::size_t> ends_;  // all-values path: cluster ends over `sorted_`
  std::vector<double> upper_;      // all-values path: the largest value of each cluster, +inf after
};

}  // namespace kmlut::cpu
