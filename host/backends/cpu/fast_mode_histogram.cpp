#include "host/backends/cpu/fast_mode_histogram.hpp"

#include <algorithm>
#include <array>

namespace kmlut::cpu {
namespace {

constexpr std::uint32_t kBins = 1u << 16;

// One stable counting pass of an LSD radix sort over the byte at `shift`.
void radix_pass(const std::uint16_t* from, std::uint16_t* to, std::size_t n, int shift) {
  std::array<std::size_t, 256> start{};
  for (std::size_t i = 0; i < n; ++i)
    ++start[(from[i] >> shift) & 0xFFu];
  std::size_t offset = 0;
  for (std::size_t& bucket : start) {
    const std::size_t count = bucket;
    bucket = offset;
    offset += count;
  }
  for (std::size_t i = 0; i < n; ++i)
    to[start[(from[i] >> shift) & 0xFFu]++] = from[i];
}

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
  added_ = 0;
  if (sorting_ && keys_.size() < elements) {
    keys_.resize(elements);
    sorted_keys_.resize(elements);
  }
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
  const std::size_t n = added_;
  radix_pass(keys_.data(), sorted_keys_.data(), n, 0);
  radix_pass(sorted_keys_.data(), keys_.data(), n, 8);
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
