#include "host/backends/cpu/fast_mode_histogram.hpp"

#include <algorithm>

#include "host/backends/cpu/radix_sort.hpp"

namespace kmlut::cpu {
namespace {

constexpr std::uint32_t kBins = 1u << 16;

}  // namespace

FastModeHistogram::FastModeHistogram(Counting counting)
    : counting_(counting),
      counts_(kBins, 0),
      min_key_(kBins),
      max_key_(0),
      group_of_key_(kBins, 0),
      cluster_of_key_(kBins, 0) {}

void FastModeHistogram::begin(std::uint64_t elements) {
  sorting_ =
      counting_ == Counting::Sort || (counting_ == Counting::BySize && elements < kSortBelow);
  keys_.clear();
  if (sorting_)
    keys_.reserve(elements);  // kept from block to block: no allocation once grown
}

void FastModeHistogram::absorb(FastModeHistogram& part) {
  sorting_ = false;
  for (std::uint32_t key = part.min_key_; key <= part.max_key_; ++key) {
    counts_[key] += part.counts_[key];
    part.counts_[key] = 0;
  }
  if (part.min_key_ <= part.max_key_) {
    min_key_ = std::min(min_key_, part.min_key_);
    max_key_ = std::max(max_key_, part.max_key_);
  }
  part.min_key_ = kBins;
  part.max_key_ = 0;
}

void FastModeHistogram::finish() {
  distinct_keys_.clear();
  distinct_counts_.clear();
  if (sorting_) {
    finish_sorting();
  } else {
    finish_bins();
  }
}

void FastModeHistogram::finish_sorting() {
  radix_sort_by_key<2>(keys_, sorted_keys_);
  const std::size_t n = keys_.size();
  for (std::size_t i = 0; i < n;) {
    const std::uint16_t key = keys_[i];
    std::size_t end = i + 1;
    while (end < n && keys_[end] == key)
      ++end;
    distinct_keys_.push_back(key);
    distinct_counts_.push_back(static_cast<std::uint32_t>(end - i));
    i = end;
  }
}

// Walks the bins used, emptying them on the way.
void FastModeHistogram::finish_bins() {
  for (std::uint32_t key = min_key_; key <= max_key_; ++key) {
    if (counts_[key] == 0)
      continue;
    distinct_keys_.push_back(key);
    distinct_counts_.push_back(counts_[key]);
    counts_[key] = 0;
  }
  min_key_ = kBins;
  max_key_ = 0;
}

void FastModeHistogram::assign_clusters(const std::vector<std::size_t>& cluster_ends) {
  std::size_t cluster = 0;
  for (const std::uint32_t key : distinct_keys_) {
    while (group_of_key_[key] >= cluster_ends[cluster])
      ++cluster;
    cluster_of_key_[key] = static_cast<std::uint8_t>(cluster);
  }
}

}  // namespace kmlut::cpu
