// FastModeHistogram: the weighted unique values of a block without sorting. It counts 16-bit float
// patterns (fp16, or bf16 when the weight is bf16) in 65,536 bins; walking the bins in value order
// and merging bins whose clustered values are equal gives np.unique's values and counts, +0 and -0
// merged, because the fp16 cast and the fast-mode rounding never reorder values. After clustering
// it maps every pattern to its cluster index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmlut/numeric/fp16.hpp"

namespace kmlut::cpu {

class FastModeHistogram {
 public:
  FastModeHistogram();

  // Bins are ordered by value: the key of a pattern flips all bits of a negative and the sign bit
  // of a positive, the usual trick that makes float bit patterns sort like their values.
  static std::uint32_t key_of(std::uint16_t pattern) {
    return (pattern & 0x8000u) ? (~pattern & 0xFFFFu) : (pattern | 0x8000u);
  }

  void add(std::uint16_t pattern) {
    const std::uint32_t key = key_of(pattern);
    ++counts_[key];
    min_key_ = key < min_key_ ? key : min_key_;
    max_key_ = key > max_key_ ? key : max_key_;
  }

  // Ascending distinct values and their counts; value_of(pattern) is the value clustered for a
  // pattern (its fp16 value, rounded in fast mode). It must be non-decreasing in the pattern's
  // value.
  template <class ValueOf>
  void collect(ValueOf&& value_of, std::vector<double>& values, std::vector<double>& counts) {
    values.clear();
    counts.clear();
    for (std::uint32_t key = min_key_; key <= max_key_; ++key) {
      if (counts_[key] == 0)
        continue;
      const double value = value_of(pattern_of(key));
      if (!values.empty() && value == values.back()) {  // equal after rounding, or -0 == +0
        counts.back() += counts_[key];
      } else {
        values.push_back(value == 0.0 ? 0.0 : value);  // one zero: +0
        counts.push_back(counts_[key]);
      }
      group_of_key_[key] = static_cast<std::uint32_t>(values.size() - 1);
    }
  }

  // Σ count · f(pattern, cluster) over the bins in use, in bin order (deterministic).
  template <class PerPattern>
  double sum_over_patterns(PerPattern&& f) const {
    double sum = 0.0;
    for (std::uint32_t key = min_key_; key <= max_key_; ++key) {
      if (counts_[key] != 0)
        sum += counts_[key] * f(pattern_of(key), cluster_of_key_[key]);
    }
    return sum;
  }

  // Maps each collected value to the cluster holding it; `cluster_ends` are the clusters'
  // exclusive ends over the collected values.
  void assign_clusters(const std::vector<std::size_t>& cluster_ends);

  std::uint8_t cluster_of(std::uint16_t pattern) const { return cluster_of_key_[key_of(pattern)]; }

  // The index of the collected value a pattern merged into (valid after collect).
  std::uint32_t value_index_of(std::uint16_t pattern) const {
    return group_of_key_[key_of(pattern)];
  }

  // Empties the histogram for the next block (only the bins used are touched).
  void reset();

 private:
  static std::uint16_t pattern_of(std::uint32_t key) {
    return static_cast<std::uint16_t>((key & 0x8000u) ? (key & 0x7FFFu) : (~key & 0xFFFFu));
  }

  std::vector<std::uint32_t> counts_;
  std::vector<std::uint32_t> group_of_key_;
  std::vector<std::uint8_t> cluster_of_key_;
  std::uint32_t min_key_;
  std::uint32_t max_key_;
};

}  // namespace kmlut::cpu
