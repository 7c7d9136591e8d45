// FastModeHistogram: the weighted unique values of a block. It counts 16-bit float patterns (fp16,
// or bf16 when the weight is bf16) by their value-ordered keys; walking the distinct keys in order
// and merging those whose clustered values are equal gives np.unique's values and counts, +0 and
// -0 merged, because the fp16 cast and the fast-mode rounding never reorder values. After
// clustering it maps every pattern to its cluster index.
//
// The cost follows the block's size: a small block radix sorts its keys (two passes) and
// run-length encodes them; a large one counts them in 65,536 bins and walks the bins it used.
// Both give the same distinct keys and counts, so the results do not depend on which one ran.
// Every buffer is reused from block to block: nothing is allocated once it has grown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "host/backends/cpu/simd/scalar_kernels.hpp"
#include "kmlut/numeric/fp16.hpp"

namespace kmlut::cpu {

class FastModeHistogram {
 public:
  enum class Counting { BySize, Sort, Bins };

  // Blocks below this many elements sort their keys: a sort costs a few passes over the
  // elements, the bins a walk over the range of keys used (tens of thousands for typical weights).
  static constexpr std::uint64_t kSortBelow = 16384;

  explicit FastModeHistogram(Counting counting = Counting::BySize);

  // Bins are ordered by value: the key of a pattern flips all bits of a negative and the sign bit
  // of a positive, the usual trick that makes float bit patterns sort like their values.
  static std::uint32_t key_of(std::uint16_t pattern) {
    return (pattern & 0x8000u) ? (~pattern & 0xFFFFu) : (pattern | 0x8000u);
  }

  // Starts a block of `elements` values (which decides how they are counted).
  void begin(std::uint64_t elements);

  void add(std::uint16_t pattern) {
    const std::uint32_t key = key_of(pattern);
    if (sorting_) {
      keys_.push_back(static_cast<std::uint16_t>(key));
      return;
    }
    ++counts_[key];
    min_key_ = key < min_key_ ? key : min_key_;
    max_key_ = key > max_key_ ? key : max_key_;
  }

  // Adds a run of keys (key_of of each pattern) whose smallest and largest are `range`.
  void add_keys(const std::uint16_t* keys, std::size_t n, KeyRange range) {
    if (sorting_) {
      keys_.insert(keys_.end(), keys, keys + n);
      return;
    }
    for (std::size_t i = 0; i < n; ++i)
      ++counts_[keys[i]];
    min_key_ = range.min < min_key_ ? range.min : min_key_;
    max_key_ = range.max > max_key_ ? range.max : max_key_;
  }

  // Adds the bins of `part` (which counts in bins) to this block's, and empties them: one block
  // counted by several threads. This block then counts in bins too.
  void absorb(FastModeHistogram& part);

  // Ends the block's counting: the distinct keys in ascending order with their counts (the bins
  // are left empty for the next block).
  void finish();

  // Ascending distinct values and their counts; value_of(pattern) is the value clustered for a
  // pattern (its fp16 value, rounded in fast mode). It must be non-decreasing in the pattern's
  // value.
  template <class ValueOf>
  void collect(ValueOf&& value_of, std::vector<double>& values, std::vector<double>& counts) {
    values.clear();
    counts.clear();
    for (std::size_t d = 0; d < distinct_keys_.size(); ++d) {
      const std::uint32_t key = distinct_keys_[d];
      const double value = value_of(pattern_of(key));
      if (!values.empty() && value == values.back()) {  // equal after rounding, or -0 == +0
        counts.back() += distinct_counts_[d];
      } else {
        values.push_back(value == 0.0 ? 0.0 : value);  // one zero: +0
        counts.push_back(distinct_counts_[d]);
      }
      group_of_key_[key] = static_cast<std::uint32_t>(values.size() - 1);
    }
  }

  // Σ count · f(pattern, cluster) over the distinct keys, in key order (deterministic).
  template <class PerPattern>
  double sum_over_patterns(PerPattern&& f) const {
    double sum = 0.0;
    for (std::size_t d = 0; d < distinct_keys_.size(); ++d) {
      const std::uint32_t key = distinct_keys_[d];
      sum += distinct_counts_[d] * f(pattern_of(key), cluster_of_key_[key]);
    }
    return sum;
  }

  // Maps each collected value to the cluster holding it; `cluster_ends` are the clusters'
  // exclusive ends over the collected values.
  void assign_clusters(const std::vector<std::size_t>& cluster_ends);

  std::uint8_t cluster_of(std::uint16_t pattern) const { return cluster_of_key_[key_of(pattern)]; }
  std::uint8_t cluster_of_key(std::uint16_t key) const { return cluster_of_key_[key]; }

  // The index of the collected value a pattern merged into (valid after collect).
  std::uint32_t value_index_of(std::uint16_t pattern) const {
    return group_of_key_[key_of(pattern)];
  }

 private:
  static std::uint16_t pattern_of(std::uint32_t key) {
    return static_cast<std::uint16_t>((key & 0x8000u) ? (key & 0x7FFFu) : (~key & 0xFFFFu));
  }

  void finish_sorting();
  void finish_bins();

  Counting counting_;
  bool sorting_ = false;
  // Bins: counts per key, the range of keys used.
  std::vector<std::uint32_t> counts_;
  std::uint32_t min_key_;
  std::uint32_t max_key_;
  // Sorting: the block's keys and the radix sort's second buffer.
  std::vector<std::uint16_t> keys_;
  std::vector<std::uint16_t> sorted_keys_;
  // Either way: the distinct keys, ascending, and their counts.
  std::vector<std::uint32_t> distinct_keys_;
  std::vector<std::uint32_t> distinct_counts_;
  // Per key, written for the block's distinct keys only.
  std::vector<std::uint32_t> group_of_key_;
  std::vector<std::uint8_t> cluster_of_key_;
};

}  // namespace kmlut::cpu
