#include "host/backends/cpu/fast_mode_histogram.hpp"

#include <algorithm>

namespace kmlut::cpu {
namespace {
constexpr std::uint32_t kBins = 1u << 16;
}

FastModeHistogram::FastModeHistogram()
    : counts_(kBins, 0),
      group_of_key_(kBins, 0),
      cluster_of_key_(kBins, 0),
      min_key_(kBins),
      max_key_(0) {}

void FastModeHistogram::assign_clusters(const std::vector<std::size_t>& cluster_ends) {
  std::size_t cluster = 0;
  for (std::uint32_t key = min_key_; key <= max_key_; ++key) {
    if (counts_[key] == 0)
      continue;
    while (group_of_key_[key] >= cluster_ends[cluster])
      ++cluster;
    cluster_of_key_[key] = static_cast<std::uint8_t>(cluster);
  }
}

void FastModeHistogram::reset() {
  if (min_key_ <= max_key_) {
    std::fill(counts_.begin() + min_key_, counts_.begin() + max_key_ + 1, 0u);
  }
  min_key_ = kBins;
  max_key_ = 0;
}

}  // namespace kmlut::cpu
