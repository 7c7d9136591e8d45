#include "host/palettize/vector_block_layout.hpp"

#include "host/palettize/block_layout.hpp"

namespace kmlut::palettize {
namespace {

VectorBlockLayout skipped(std::string reason) {
  VectorBlockLayout layout;
  layout.skip_reason = std::move(reason);
  return layout;
}

std::string not_dividing(int d, const std::string& what, std::int64_t size) {
  return "cluster_dim " + std::to_string(d) + " does not divide " + what + " (" +
         std::to_string(size) + ")";
}

}  // namespace

VectorBlockLayout plan_vector_blocks(const std::vector<std::int64_t>& shape,
                                     const PalettizationSpec& spec) {
  const int d = spec.cluster_dim;
  if (shape.size() < 2) {
    return skipped("cluster_dim > 1 needs a tensor of rank >= 2, got rank " +
                   std::to_string(shape.size()));
  }
  // The group sizes and LUT grid are the scalar ones; only the element walk differs.
  const BlockLayout scalar = plan_scalar_blocks(shape, spec);
  if (!scalar.skip_reason.empty())
    return skipped(scalar.skip_reason);
  VectorBlockLayout layout;
  layout.matrix_rows = static_cast<std::uint64_t>(shape[0]);
  layout.matrix_cols = product(shape.begin() + 1, shape.end());
  layout.lut_grid = scalar.lut_grid;
  const std::uint64_t rows = layout.matrix_rows;
  const std::uint64_t cols = layout.matrix_cols;
  if (spec.granularity.type == GranularityType::PerTensor) {
    if (shape[0] % d != 0)
      return skipped(not_dividing(d, "dimension 0", shape[0]));
    layout.blocks.push_back({0, rows, 0, cols});
    return layout;
  }
  const auto group = static_cast<std::uint64_t>(spec.granularity.group_size);
  const auto groups = static_cast<std::uint64_t>(scalar.blocks.size());
  if (spec.granularity.axis.value_or(0) == 0) {
    if (spec.granularity.group_size % d != 0)
      return skipped(not_dividing(d, "group_size", spec.granularity.group_size));
    for (std::uint64_t g = 0; g < groups; ++g)
      layout.blocks.push_back({g * group, group, 0, cols});
    return layout;
  }
  // Axis 1 of a conv with a kernel: the LUT would group input channels while vectors run along
  // output channels of [Cout·k, Cin], a layout no exporter agrees on.
  if (product(shape.begin() + 2, shape.end()) > 1) {
    return skipped("cluster_dim > 1 with grouping along axis 1 needs a kernel size of 1");
  }
  if (shape[0] % d != 0)
    return skipped(not_dividing(d, "dimension 0", shape[0]));
  for (std::uint64_t g = 0; g < groups; ++g)
    layout.blocks.push_back({0, rows, g * group, group});
  return layout;
}

}  // namespace kmlut::palettize
