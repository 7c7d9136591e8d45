// The per-thread steps of the unique-points phase (unique_points.cu), kept apart from the kernel
// so the unit tests can run them on the CPU. Each thread owns a contiguous range of histogram keys
// at a time; `counts[i * stride]` is the count of key first_key + i.
// Walking the keys upward, a non-empty bin starts a new unique value unless its clustered value
// equals the previous non-empty bin's (rounding merged them, or -0 and +0): the CPU's
// FastModeHistogram::collect rule. Two block-wide scans between the steps carry the previous
// range's last value and number the unique values.
#pragma once

#include <cstdint>

#include "kmlut/numeric/half_pattern_keys.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

struct KeyRangeSummary {
  bool any;                    // the range has a non-empty bin
  double first_value;          // the clustered value of its first non-empty bin
  double last_value;           // ... and of its last
  std::uint32_t inner_starts;  // non-empty bins after the first that start a new unique value
};

KMLUT_HD inline KeyRangeSummary summarize_keys(const std::uint32_t* counts, std::uint32_t stride,
                                               std::uint32_t first_key, std::uint32_t key_count,
                                               bool bf16_patterns, const float* rounding_table) {
  KeyRangeSummary summary{false, 0.0, 0.0, 0};
  for (std::uint32_t i = 0; i < key_count; ++i) {
    if (counts[i * stride] == 0)
      continue;
    const double value = numeric::clustered_value(numeric::key_pattern(first_key + i),
                                                  bf16_patterns, rounding_table);
    if (!summary.any) {
      summary.any = true;
      summary.first_value = value;
    } else if (value != summary.last_value) {
      ++summary.inner_starts;
    }
    summary.last_value = value;
  }
  return summary;
}

// Writes the range's unique values from index `first_index` on (the number of unique values that
// start before the range) and hands each run of counts to add_weight(index, count, started):
// a unique value whose bins span several ranges gets one call per range, `started` true for the
// range where it starts and false for a range that continues it (only a range's first run can).
// `first_starts`: the range's first non-empty bin starts a new value (else it continues the
// previous range's last one).
template <class AddWeight>
KMLUT_HD void emit_unique_values(const std::uint32_t* counts, std::uint32_t stride,
                                 std::uint32_t first_key, std::uint32_t key_count,
                                 bool bf16_patterns, const float* rounding_table, bool first_starts,
                                 std::uint32_t first_index, double* points,
                                 AddWeight&& add_weight) {
  std::uint32_t index = first_index - 1;  // the value in progress; wraps only if unused
  bool seen = false;
  bool started = false;
  double last = 0.0;
  double weight = 0.0;
  for (std::uint32_t i = 0; i < key_count; ++i) {
    const std::uint32_t count = counts[i * stride];
    if (count == 0)
      continue;
    const double value = numeric::clustered_value(numeric::key_pattern(first_key + i),
                                                  bf16_patterns, rounding_table);
    if (seen ? value != last : first_starts) {
      if (weight > 0.0)
        add_weight(index, weight, started);
      ++index;
      points[index] = value == 0.0 ? 0.0 : value;  // one zero: +0
      weight = 0.0;
      started = true;
    }
    weight += count;
    last = value;
    seen = true;
  }
  if (weight > 0.0)
    add_weight(index, weight, started);
}

}  // namespace kmlut::cuda
