#include "host/backends/cpu/scalar_block_clusterer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "host/backends/cpu/float_radix_sort.hpp"
#include "host/palettize/float_format_dispatch.hpp"
#include "kmlut/numeric/cluster_cost.hpp"

namespace kmlut::cpu {

// The seconds of each phase: lap() gives those since the previous lap (or the start).
class Laps {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return seconds;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

namespace {

constexpr double kHalfMax = 65504.0;

// What the histogram counts: the stored bits of a 16-bit weight (fp16 or bf16), else the value
// cast to fp16 (ties to even), as coreai_opt's astype(float16).
template <class Tag>
std::uint16_t histogram_pattern(typename Tag::Storage stored) {
  if constexpr (sizeof(typename Tag::Storage) == 2) {
    return stored;
  } else if constexpr (Tag::dtype == DType::F64) {
    return numeric::double_to_half_bits(stored);  // one rounding, as numpy's astype(float16)
  } else {
    return numeric::float_to_half_bits(stored);
  }
}

// The value clustered for a histogram pattern: its fp16 value, rounded in fast mode.
template <class Tag>
double clustered_value(std::uint16_t pattern, const float* rounding_table) {
  std::uint16_t half = pattern;
  if constexpr (Tag::dtype == DType::BF16) {
    half = numeric::float_to_half_bits(numeric::bf16_bits_to_float(pattern));
  }
  return rounding_table != nullptr ? rounding_table[half] : numeric::half_bits_to_float(half);
}

// The largest bf16 below 65504 (65280) and its negative, as histogram keys: a bf16 block lies in
// fp16's finite range when its keys lie between them.
const std::uint32_t kLowestHalfRangeBf16Key = FastModeHistogram::key_of(0xC77Fu);
const std::uint32_t kHighestHalfRangeBf16Key = FastModeHistogram::key_of(0x477Fu);

// The first cluster whose largest value is not below `value`: std::lower_bound over `upper`
// (ascending, padded with +inf to a power of two), as a search without branches, whose steps do
// not depend on the data.
std::uint8_t cluster_below(const std::vector<double>& upper, double value) {
  std::size_t first = 0;
  for (std::size_t step = upper.size() / 2; step > 0; step /= 2)
    first += upper[first + step - 1] < value ? step : 0;
  return static_cast<std::uint8_t>(first + (upper[first] < value ? 1 : 0));
}

// Σ of the lanes in a fixed order, whatever the target.
double sum_lanes(const double (&lanes)[kErrorLanes]) {
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
         ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

}  // namespace

ScalarBlockOutcome ScalarBlockClusterer::cluster(const ScalarBlockTask& task, ThreadPool* pool) {
  pool_ = pool;
  return palettize::with_float_format(task.dtype,
                                      [&](auto tag) { return cluster_as<decltype(tag)>(task); });
}

template <class Body>
void ScalarBlockClusterer::over_chunks(const ScalarBlockTask& task, Body&& body) const {
  const std::uint64_t size = task.block.size();
  const std::size_t chunks = static_cast<std::size_t>((size + kChunkElements - 1) / kChunkElements);
  const auto run_chunk = [&](unsigned worker, std::size_t chunk) {
    const std::uint64_t begin = chunk * kChunkElements;
    body(worker, chunk, begin, std::min(size, begin + kChunkElements));
  };
  if (pool_ != nullptr && chunks > 1) {
    pool_->run(chunks, run_chunk);
    return;
  }
  for (std::size_t chunk = 0; chunk < chunks; ++chunk)
    run_chunk(0, chunk);
}

template <class Tag>
ScalarBlockOutcome ScalarBlockClusterer::cluster_as(const ScalarBlockTask& task) {
  // coreai_opt: fp16 blocks always take the unique path (rounded only in fast mode); other blocks
  // only in fast mode and when every value fits fp16's range.
  ScalarBlockOutcome outcome;
  Laps laps;
  outcome.unique_path = (Tag::dtype == DType::F16 || task.fast_mode) && count_patterns<Tag>(task);
  if (outcome.unique_path) {
    solve_unique<Tag>(task, task.fast_mode, laps, outcome.seconds);
  } else {
    solve_all_values<Tag>(task, laps, outcome.seconds);
  }
  write_lut<Tag>(task);
  const bool per_pattern = sizeof(typename Tag::Storage) == 2 && outcome.unique_path;
  if (per_pattern && task.measure)
    measure_from_histogram<Tag>(task, outcome);
  using Storage = typename Tag::Storage;
  if (outcome.unique_path) {
    assign<Tag>(task, outcome, [&](const Storage* values, std::uint8_t* indices, std::size_t n) {
      std::uint16_t keys[kTile];
      KeyRange range;
      keys_of<Tag>(values, n, keys, range);
      for (std::size_t i = 0; i < n; ++i)
        indices[i] = histogram_.cluster_of_key(keys[i]);
    });
  } else {
    assign<Tag>(task, outcome, [&](const Storage* values, std::uint8_t* indices, std::size_t n) {
      for (std::size_t i = 0; i < n; ++i)
        indices[i] = cluster_below(upper_, Tag::Format::to_double(values[i]));
    });
  }
  outcome.seconds.assign = laps.lap();
  return outcome;
}

// Fills the histogram; false if a value lies outside fp16's range.
template <class Tag>
bool ScalarBlockClusterer::count_patterns(const ScalarBlockTask& task) {
  const auto* values = static_cast<const typename Tag::Storage*>(task.values);
  histogram_.begin(task.block.size());
  if (task.block.size() <= kChunkElements) {
    bool in_range = true;
    task.block.for_each_span_between(
        0, task.block.size(), [&](std::uint64_t start, std::uint64_t stop) {
          in_range = count_span<Tag>(histogram_, values, start, stop) && in_range;
        });
    histogram_.finish();
    return in_range;
  }
  // Counts are integers: adding each worker's bins gives the same histogram for any schedule.
  const std::size_t workers = pool_ != nullptr ? pool_->size() : 1;
  while (partials_.size() < workers)
    partials_.emplace_back(FastModeHistogram::Counting::Bins);
  for (std::size_t w = 0; w < workers; ++w)
    partials_[w].begin(task.block.size());
  chunk_in_range_.assign((task.block.size() + kChunkElements - 1) / kChunkElements, 1);
  over_chunks(
      task, [&](unsigned worker, std::size_t chunk, std::uint64_t begin, std::uint64_t end) {
        bool in_range = true;
        task.block.for_each_span_between(begin, end, [&](std::uint64_t start, std::uint64_t stop) {
          in_range = count_span<Tag>(partials_[worker], values, start, stop) && in_range;
        });
        chunk_in_range_[chunk] = in_range ? 1 : 0;
      });
  for (std::size_t w = 0; w < workers; ++w)
    histogram_.absorb(partials_[w]);
  histogram_.finish();
  return std::all_of(chunk_in_range_.begin(), chunk_in_range_.end(),
                     [](std::uint8_t in_range) { return in_range != 0; });
}

// Counts the flat elements [start, stop); false if one lies outside fp16's range.
template <class Tag>
bool ScalarBlockClusterer::count_span(FastModeHistogram& histogram,
                                      const typename Tag::Storage* values, std::uint64_t start,
                                      std::uint64_t stop) const {
  bool in_range = true;
  std::uint16_t keys[kTile];
  for (std::uint64_t i = start; i < stop; i += kTile) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kTile, stop - i));
    KeyRange range;
    in_range = keys_of<Tag>(values + i, n, keys, range) && in_range;
    histogram.add_keys(keys, n, range);
  }
  return in_range;
}

// The histogram keys of n values (FastModeHistogram::key_of of histogram_pattern) and their
// range; false if a value lies outside fp16's finite range, ±65504 (fast mode's condition for the
// unique path; an fp16 block always lies inside).
template <class Tag>
bool ScalarBlockClusterer::keys_of(const typename Tag::Storage* values, std::size_t n,
                                   std::uint16_t* keys, KeyRange& range) const {
  if constexpr (Tag::dtype == DType::F16 || Tag::dtype == DType::BF16) {
    range = kernels_->keys_of_halves(values, n, keys);
    return Tag::dtype == DType::F16 || n == 0 ||
           (range.min >= kLowestHalfRangeBf16Key && range.max <= kHighestHalfRangeBf16Key);
  } else if constexpr (Tag::dtype == DType::F32) {
    bool in_range = true;
    range = kernels_->keys_of_floats(values, n, keys, &in_range);
    return in_range;
  } else {  // F64: one rounding to fp16, no kernel
    bool in_range = true;
    range = {0xFFFFFFFFu, 0u};
    for (std::size_t i = 0; i < n; ++i) {
      in_range = in_range && std::fabs(values[i]) <= kHalfMax;
      const std::uint32_t key = FastModeHistogram::key_of(histogram_pattern<Tag>(values[i]));
      keys[i] = static_cast<std::uint16_t>(key);
      range.min = std::min(range.min, key);
      range.max = std::max(range.max, key);
    }
    return in_range;
  }
}

template <class Tag>
void ScalarBlockClusterer::solve_unique(const ScalarBlockTask& task, bool round, Laps& laps,
                                        BackendPhaseSeconds& seconds) {
  const float* table = round ? task.rounding_table : nullptr;
  histogram_.collect([&](std::uint16_t pattern) { return clustered_value<Tag>(pattern, table); },
                     points_, weights_);
  if (task.sensitivity != nullptr)
    sum_sensitivity_per_value<Tag>(task);
  seconds.unique = laps.lap();
  solver_.solve(points_.data(), weights_.data(), points_.size(), 1 << task.n_bits, solution_);
  seconds.solve = laps.lap();
  histogram_.assign_clusters(solution_.cluster_ends);
}

// A value's weight is the sum of its elements' sensitivities, added in element order (as
// coreai_opt's np.bincount over the unique values' inverse).
template <class Tag>
void ScalarBlockClusterer::sum_sensitivity_per_value(const ScalarBlockTask& task) {
  const auto* values = static_cast<const typename Tag::Storage*>(task.values);
  std::fill(weights_.begin(), weights_.end(), 0.0);
  task.block.for_each([&](std::uint64_t i) {
    weights_[histogram_.value_index_of(histogram_pattern<Tag>(values[i]))] +=
        double{task.sensitivity[i]};
  });
}

// Writes every element's index, a tile at a time (assign_tile(values, indices, n)); unless the
// histogram already measured the block, also sums (W − Ŵ)² and W² on the way, in the kernels'
// fixed lane order (with per-channel scale the backend measures instead, as Ŵ needs the scale).
template <class Tag, class AssignTile>
void ScalarBlockClusterer::assign(const ScalarBlockTask& task, ScalarBlockOutcome& outcome,
                                  AssignTile&& assign_tile) {
  const auto* values = static_cast<const typename Tag::Storage*>(task.values);
  const auto for_each_tile = [&](std::uint64_t begin, std::uint64_t end, auto&& visit) {
    task.block.for_each_span_between(begin, end, [&](std::uint64_t start, std::uint64_t stop) {
      for (std::uint64_t i = start; i < stop; i += kTile) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kTile, stop - i));
        assign_tile(values + i, task.indices + i, n);
        visit(i, n);
      }
    });
  };
  if (outcome.measured || !task.measure) {
    over_chunks(task, [&](unsigned, std::size_t, std::uint64_t begin, std::uint64_t end) {
      for_each_tile(begin, end, [](std::uint64_t, std::size_t) {});
    });
    return;
  }
  const auto* lut = static_cast<const typename Tag::Storage*>(task.lut);
  lut_values_.resize(std::size_t{1} << task.n_bits);
  for (std::size_t i = 0; i < lut_values_.size(); ++i)
    lut_values_[i] = Tag::Format::to_double(lut[i]);
  const std::size_t chunks =
      static_cast<std::size_t>((task.block.size() + kChunkElements - 1) / kChunkElements);
  chunk_sse_.assign(chunks, 0.0);
  chunk_sq_norm_.assign(chunks, 0.0);
  over_chunks(task, [&](unsigned, std::size_t chunk, std::uint64_t begin, std::uint64_t end) {
    ErrorLanes lanes{};
    double tile_values[kTile];
    for_each_tile(begin, end, [&](std::uint64_t first, std::size_t n) {
      for (std::size_t i = 0; i < n; ++i)
        tile_values[i] = Tag::Format::to_double(values[first + i]);
      kernels_->add_errors(tile_values, task.indices + first, lut_values_.data(), n, lanes);
    });
    chunk_sse_[chunk] = sum_lanes(lanes.sse);
    chunk_sq_norm_[chunk] = sum_lanes(lanes.sq_norm);
  });
  // In chunk order; one chunk's sum is the whole block's, as when blocks were never split.
  outcome.sse = std::accumulate(chunk_sse_.begin(), chunk_sse_.end(), 0.0);
  outcome.sq_norm = std::accumulate(chunk_sq_norm_.begin(), chunk_sq_norm_.end(), 0.0);
  outcome.measured = true;
}

// Every element with the same stored bits has the same error, so the block's error is a sum over
// the histogram's bins rather than over its elements.
template <class Tag>
void ScalarBlockClusterer::measure_from_histogram(const ScalarBlockTask& task,
                                                  ScalarBlockOutcome& outcome) const {
  const auto* lut = static_cast<const typename Tag::Storage*>(task.lut);
  outcome.sse = histogram_.sum_over_patterns([&](std::uint16_t pattern, std::uint8_t cluster) {
    const double error = Tag::Format::to_double(pattern) - Tag::Format::to_double(lut[cluster]);
    return error * error;
  });
  outcome.sq_norm = histogram_.sum_over_patterns([&](std::uint16_t pattern, std::uint8_t) {
    const double value = Tag::Format::to_double(pattern);
    return value * value;
  });
  outcome.measured = true;
}

// Every value of the block in ascending order (equal values in element order), with their
// sensitivities when there are some. Values that float32 holds exactly are radix sorted.
template <class Tag>
void ScalarBlockClusterer::sort_block(const ScalarBlockTask& task) {
  const auto* values = static_cast<const typename Tag::Storage*>(task.values);
  sorted_.clear();
  if constexpr (Tag::dtype != DType::F64) {
    const auto as_float = [&](std::uint64_t i) {
      return static_cast<float>(Tag::Format::to_double(values[i]));
    };
    if (task.sensitivity == nullptr) {
      keys_.clear();
      task.block.for_each([&](std::uint64_t i) { keys_.push_back(float_sort_key(as_float(i))); });
      radix_sort_by_key<3>(keys_, key_scratch_);
      for (const std::uint32_t key : keys_)
        sorted_.push_back(float_of_sort_key(key));
      return;
    }
    keyed_weights_.clear();
    task.block.for_each([&](std::uint64_t i) {
      keyed_weights_.push_back({float_sort_key(as_float(i)), task.sensitivity[i]});
    });
    radix_sort_by_key<3>(keyed_weights_, keyed_weight_scratch_);
    sorted_weights_.clear();
    for (const KeyedWeight& item : keyed_weights_) {
      sorted_.push_back(float_of_sort_key(item.key));
      sorted_weights_.push_back(item.weight);
    }
    return;
  }
  if (task.sensitivity == nullptr) {
    task.block.for_each(
        [&](std::uint64_t i) { sorted_.push_back(Tag::Format::to_double(values[i])); });
    std::sort(sorted_.begin(), sorted_.end());
    return;
  }
  order_.clear();
  task.block.for_each([&](std::uint64_t i) { order_.push_back(i); });
  std::stable_sort(order_.begin(), order_.end(), [&](std::uint64_t a, std::uint64_t b) {
    return Tag::Format::to_double(values[a]) < Tag::Format::to_double(values[b]);
  });
  sorted_weights_.clear();
  for (std::uint64_t i : order_) {
    sorted_.push_back(Tag::Format::to_double(values[i]));
    sorted_weights_.push_back(task.sensitivity[i]);
  }
}

template <class Tag>
void ScalarBlockClusterer::solve_all_values(const ScalarBlockTask& task, Laps& laps,
                                            BackendPhaseSeconds& seconds) {
  sort_block<Tag>(task);
  const bool weighted = task.sensitivity != nullptr;
  // Equal values are one weighted point: the same optimum as clustering every copy, in less work.
  points_.clear();
  weights_.clear();
  for (std::size_t i = 0; i < sorted_.size(); ++i) {
    const double value = sorted_[i];
    const double weight = weighted ? sorted_weights_[i] : 1.0;
    if (!points_.empty() && value == points_.back()) {
      weights_.back() += weight;
    } else {
      points_.push_back(value == 0.0 ? 0.0 : value);
      weights_.push_back(weight);
    }
  }
  seconds.unique = laps.lap();
  solver_.solve(points_.data(), weights_.data(), points_.size(), 1 << task.n_bits, solution_);
  seconds.solve = laps.lap();
  // The centroids are recomputed over every value, with kmeans1d's running mean, so that their
  // rounding matches coreai_opt's (which clusters every value) bit for bit.
  ends_.clear();
  std::size_t value = 0;
  std::size_t point = 0;
  for (std::size_t end : solution_.cluster_ends) {
    for (; point < end; ++point) {
      do {
        ++value;
      } while (value < sorted_.size() && sorted_[value] == sorted_[value - 1]);
    }
    ends_.push_back(value);
  }
  numeric::cluster_means(sorted_.data(), weighted ? sorted_weights_.data() : nullptr, ends_.data(),
                         ends_.size(), solution_.centroids.data());
  // A value belongs to the first cluster whose largest value is not below it.
  upper_.clear();
  for (std::size_t end : ends_)
    upper_.push_back(sorted_[end - 1]);
  std::size_t padded = 1;
  while (padded < upper_.size())
    padded *= 2;
  upper_.resize(padded, std::numeric_limits<double>::infinity());
}

template <class Tag>
void ScalarBlockClusterer::write_lut(const ScalarBlockTask& task) {
  auto* lut = static_cast<typename Tag::Storage*>(task.lut);
  const std::size_t entries = std::size_t{1} << task.n_bits;
  const std::vector<double>& centroids = solution_.centroids;
  for (std::size_t i = 0; i < entries; ++i) {
    // Padding repeats the last (largest) centroid, so LUT quantization sees the true range.
    lut[i] = Tag::Format::from_double(centroids[std::min(i, centroids.size() - 1)]);
  }
}

}  // namespace kmlut::cpu
