// The parts of a palettized tensor and their shapes (docs/format.md, "Parts"): the one rule that
// writers size their tensors with and readers check files against.
#include <limits>

#include "config/key_path.hpp"
#include "kmlut/error.hpp"
#include "kmlut/format.hpp"
#include "kmlut/numeric/bit_packing.hpp"

namespace kmlut {

using detail::json_quote;
namespace {

// An entry being checked, for messages.
struct EntryCheck {
  const PalettizedTensorInfo& info;
  const std::string& source;

  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError(source + ": tensor " + json_quote(info.name) + ": " + problem);
  }
};

// Output bytes (up to 8 per element) and index bits (up to 8 per element) must fit in 64 bits.
std::uint64_t checked_numel(const std::vector<std::int64_t>& shape, const EntryCheck& entry) {
  constexpr std::uint64_t kLimit = std::numeric_limits<std::uint64_t>::max() / 8;
  std::uint64_t numel = 1;
  for (std::int64_t dim : shape) {
    if (dim < 0)
      entry.fail("shape " + shape_text(shape) + " has a negative dimension");
    const auto extent = static_cast<std::uint64_t>(dim);
    if (extent != 0 && numel > kLimit / extent)
      entry.fail("shape " + shape_text(shape) + " is too large");
    numel *= extent;
  }
  return numel;
}

void check_spec(const EntryCheck& entry) {
  const PalettizedTensorInfo& info = entry.info;
  if (info.shape.empty())
    entry.fail("a palettized tensor needs rank >= 1");
  if (info.n_bits < 1 || info.n_bits > 8)
    entry.fail("n_bits " + std::to_string(info.n_bits) + " is not 1 to 8");
  if (info.cluster_dim < 1)
    entry.fail("cluster_dim " + std::to_string(info.cluster_dim) + " is not >= 1");
  if (info.vector_axis && *info.vector_axis != 0) {
    entry.fail("vector_axis " + std::to_string(*info.vector_axis) +
               " is not supported: kmlut v1 vectors run along axis 0");
  }
  if (info.cluster_dim > 1 && !info.vector_axis)
    entry.fail("cluster_dim " + std::to_string(info.cluster_dim) + " needs vector_axis 0");
  if (info.shape[0] % info.cluster_dim != 0) {
    entry.fail("dimension 0 of shape " + shape_text(info.shape) +
               " is not a multiple of cluster_dim " + std::to_string(info.cluster_dim));
  }
  if (info.packing != "lsb_bitstream")
    entry.fail("unknown packing " + json_quote(info.packing));
}

// [g_0 .. g_{r-1}]: all 1 but the grouping axis, which has S[axis] / group_size tables; each g_i
// divides S_idx[i].
std::vector<std::int64_t> lut_grid(const EntryCheck& entry,
                                   const std::vector<std::int64_t>& index_shape) {
  const PalettizedTensorInfo& info = entry.info;
  if (info.group_axis.has_value() != info.group_size.has_value())
    entry.fail("group_axis and group_size must both be set or both be null");
  const std::size_t rank = info.shape.size();
  std::vector<std::int64_t> grid(rank, 1);
  if (!info.group_axis)
    return grid;
  const int axis = *info.group_axis;
  const std::int64_t size = *info.group_size;
  if (axis < 0 || static_cast<std::size_t>(axis) >= rank) {
    entry.fail("group_axis " + std::to_string(axis) + " is not an axis of shape " +
               shape_text(info.shape));
  }
  const auto a = static_cast<std::size_t>(axis);
  const std::int64_t extent = info.shape[a];
  if (size < 1 || extent % size != 0) {
    entry.fail("group_size " + std::to_string(size) + " does not divide dimension " +
               std::to_string(axis) + " (" + std::to_string(extent) + ")");
  }
  grid[a] = extent / size;
  if (grid[a] == 0 || index_shape[a] % grid[a] != 0) {
    entry.fail("the " + std::to_string(grid[a]) + " LUTs along axis " + std::to_string(axis) +
               " do not divide the index shape " + shape_text(index_shape));
  }
  return grid;
}

}  // namespace

PartNames part_names(const std::string& tensor) {
  return {tensor + ".lut", tensor + ".indices", tensor + ".scale", tensor + ".lut_scale",
          tensor + ".lut_zero_point"};
}

PalettizedShapes palettized_shapes(const PalettizedTensorInfo& info, DType lut_dtype,
                                   const std::string& source) {
  const EntryCheck entry{info, source};
  check_spec(entry);
  if (lut_dtype != info.dtype && lut_dtype != DType::I8 && lut_dtype != DType::U8) {
    entry.fail("a LUT of dtype " + std::string(dtype_name(lut_dtype)) + "; expected " +
               std::string(dtype_name(info.dtype)) + ", I8 or U8");
  }
  checked_numel(info.shape, entry);
  PalettizedShapes shapes;
  shapes.lut_dtype = lut_dtype;
  shapes.index_shape = info.shape;
  shapes.index_shape[0] /= info.cluster_dim;
  shapes.index_count = checked_numel(shapes.index_shape, entry);
  shapes.packed_index_bytes =
      numeric::packed_size(shapes.index_count, static_cast<unsigned>(info.n_bits));
  shapes.lut_shape = lut_grid(entry, shapes.index_shape);
  shapes.num_luts = checked_numel(shapes.lut_shape, entry);
  shapes.lut_shape.push_back(std::int64_t{1} << info.n_bits);
  shapes.lut_shape.push_back(info.cluster_dim);
  checked_numel(shapes.lut_shape, entry);
  if (info.scale) {
    shapes.scale_shape.assign(info.shape.size(), 1);
    shapes.scale_shape[0] = info.shape[0];
  }
  if (shapes.quantized_lut())
    shapes.per_lut_shape = {static_cast<std::int64_t>(shapes.num_luts)};
  return shapes;
}

std::vector<OutputTensor> palettized_parts(const PalettizedTensorInfo& info,
                                           const PalettizedShapes& shapes) {
  const PartNames names = part_names(info.name);
  std::vector<OutputTensor> parts{
      {info.lut, shapes.lut_dtype, shapes.lut_shape},
      {info.indices, DType::U8, {static_cast<std::int64_t>(shapes.packed_index_bytes)}}};
  if (info.scale)
    parts.push_back({*info.scale, info.dtype, shapes.scale_shape});
  if (shapes.quantized_lut()) {
    // The scale is a value of the weight's dtype: the dtype of the values it produces, as in Core
    // ML's constexpr_blockwise_shift_scale (docs/lut-quantization-and-sensitivities.md).
    parts.push_back({names.lut_scale, info.dtype, shapes.per_lut_shape});
    parts.push_back({names.lut_zero_point, shapes.lut_dtype, shapes.per_lut_shape});
  }
  return parts;
}

}  // namespace kmlut
