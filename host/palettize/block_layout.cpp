#include "host/palettize/block_layout.hpp"

#include <functional>
#include <numeric>

namespace kmlut::palettize {
namespace {

BlockLayout skipped(std::string reason) {
  BlockLayout layout;
  layout.skip_reason = std::move(reason);
  return layout;
}

}  // namespace

BlockLayout plan_scalar_blocks(const std::vector<std::int64_t>& shape,
                               const PalettizationSpec& spec) {
  const std::uint64_t numel = product(shape.begin(), shape.end());
  BlockLayout layout;
  layout.lut_grid.assign(shape.size(), 1);
  if (spec.granularity.type == GranularityType::PerTensor) {
    layout.blocks.push_back({0, numel, 1, numel});
    return layout;
  }
  const int axis = spec.granularity.axis.value_or(0);
  const std::int64_t group_size = spec.granularity.group_size;
  if (shape.size() < 2) {
    return skipped("per_grouped_channel needs a tensor of rank >= 2, got rank " +
                   std::to_string(shape.size()));
  }
  const std::int64_t channels = shape[static_cast<std::size_t>(axis)];
  if (group_size <= 0 || channels % group_size != 0) {
    return skipped("group_size " + std::to_string(group_size) + " does not divide dimension " +
                   std::to_string(axis) + " (size " + std::to_string(channels) + ")");
  }
  const auto groups = static_cast<std::uint64_t>(channels / group_size);
  const auto size = static_cast<std::uint64_t>(group_size);
  layout.lut_grid[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(groups);
  if (axis == 0) {
    const std::uint64_t row = product(shape.begin() + 1, shape.end());
    for (std::uint64_t g = 0; g < groups; ++g) {
      layout.blocks.push_back({g * size * row, size * row, 1, size * row});
    }
    return layout;
  }
  // Axis 1: per output row, a run of group_size input channels (times the kernel size for conv).
  const std::uint64_t inner = product(shape.begin() + 2, shape.end());
  const auto rows = static_cast<std::uint64_t>(shape[0]);
  const auto row = static_cast<std::uint64_t>(channels) * inner;
  for (std::uint64_t g = 0; g < groups; ++g) {
    layout.blocks.push_back({g * size * inner, size * inner, rows, row});
  }
  return layout;
}

}  // namespace kmlut::palettize
