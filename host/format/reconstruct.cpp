// Reconstruction of a palettized tensor from its parts (docs/format.md, "Reconstruction"): the
// normative reference of the format. The parts are first checked against what the entry implies
// (kmlut/format.hpp), so every extent below is known to be consistent and to fit in 64 bits.
#include <vector>

#include "config/key_path.hpp"
#include "host/format/palettized_parts_check.hpp"
#include "host/io/element_values.hpp"
#include "kmlut/decode.hpp"
#include "kmlut/error.hpp"
#include "kmlut/numeric/bit_packing.hpp"

namespace kmlut {

using detail::json_quote;
using detail::load;
using detail::read_number;
using detail::round_to;
using detail::store;
namespace {

// How N's index positions map to LUTs and output elements. All extents are checked, so unsigned.
struct Geometry {
  std::vector<std::uint64_t> index_shape;   // S_idx
  std::vector<std::uint64_t> block;         // block_i = S_idx[i] / lut.shape[i]
  std::vector<std::uint64_t> table_stride;  // row-major strides over the LUT grid g_0 … g_{r-1}
  std::uint64_t numel = 0;                  // of S
  std::uint64_t index_count = 0;            // numel(S_idx)
  std::uint64_t num_luts = 0;
  std::uint64_t palette = 0;      // 2^n_bits
  std::uint64_t vector_size = 1;  // cluster_dim
  std::uint64_t inner = 1;        // Π S[1:], the distance between output rows
};

// Everything needed to say what is wrong with N, where.
struct EntryContext {
  const PalettizedTensorInfo& info;
  const PalettizedParts& parts;
  const std::string& source;

  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError(source + ": tensor " + json_quote(info.name) + ": " + problem);
  }
};

// The geometry of an entry whose parts were checked by check_parts.
Geometry make_geometry(const PalettizedTensorInfo& info, const PalettizedShapes& shapes) {
  const std::size_t rank = shapes.index_shape.size();
  Geometry geometry;
  geometry.index_shape = {shapes.index_shape.begin(), shapes.index_shape.end()};
  geometry.numel = shapes.index_count * static_cast<std::uint64_t>(info.cluster_dim);
  geometry.index_count = shapes.index_count;
  geometry.palette = std::uint64_t{1} << info.n_bits;
  geometry.vector_size = static_cast<std::uint64_t>(info.cluster_dim);
  geometry.block.resize(rank);
  geometry.table_stride.resize(rank);
  std::uint64_t stride = 1;
  for (std::size_t i = rank; i-- > 0;) {
    const auto tables = static_cast<std::uint64_t>(shapes.lut_shape[i]);
    geometry.block[i] = geometry.index_shape[i] / tables;
    geometry.table_stride[i] = stride;
    stride *= tables;
    if (i > 0)
      geometry.inner *= geometry.index_shape[i];
  }
  geometry.num_luts = stride;
  return geometry;
}

// The stored tensor behind one of the parts palettized_parts lists.
const StoredTensor& stored_part(const EntryContext& entry, const std::string& name) {
  const PartNames names = part_names(entry.info.name);
  if (name == entry.info.lut)
    return entry.parts.lut;
  if (name == entry.info.indices)
    return entry.parts.indices;
  if (name == names.lut_scale)
    return entry.parts.lut_scale;
  if (name == names.lut_zero_point)
    return entry.parts.lut_zero_point;
  return entry.parts.scale;
}

// With 2^n_bits LUT entries every n-bit index is in range; bits past the last index would be the
// start of an index that does not exist, which only a wrong n_bits or shape produces.
void check_index_padding(const EntryContext& entry, const PalettizedShapes& shapes) {
  const std::uint64_t bits = shapes.index_count * static_cast<std::uint64_t>(entry.info.n_bits);
  const std::uint8_t* bytes = entry.parts.indices.bytes.data;
  if (bits % 8 != 0 && (bytes[shapes.packed_index_bytes - 1] >> (bits % 8)) != 0) {
    entry.fail("index tensor " + json_quote(entry.info.indices) +
               " has non-zero bits after its last index (an index out of range)");
  }
}

// Every part the entry implies is present with the implied dtype and shape (N.lut_zero_point may
// be absent), and no LUT quantization part accompanies a float LUT.
PalettizedShapes check_parts(const EntryContext& entry) {
  const PalettizedTensorInfo& info = entry.info;
  const PalettizedParts& parts = entry.parts;
  if (parts.lut.info == nullptr)
    entry.fail("its LUT " + json_quote(info.lut) + " is missing");
  const PalettizedShapes shapes = palettized_shapes(info, parts.lut.info->dtype, entry.source);
  const std::vector<OutputTensor> expected = palettized_parts(info, shapes);
  const PartNames names = part_names(info.name);
  for (const OutputTensor& part : expected) {
    const StoredTensor& found = stored_part(entry, part.name);
    if (found.info == nullptr) {
      if (part.name == names.lut_zero_point)
        continue;  // absent means 0
      entry.fail("its part " + json_quote(part.name) + " is missing");
    }
    if (found.info->dtype != part.dtype || found.info->shape != part.shape) {
      entry.fail("part " + json_quote(part.name) + " is " +
                 std::string(dtype_name(found.info->dtype)) + " " + shape_text(found.info->shape) +
                 "; the entry implies " + std::string(dtype_name(part.dtype)) + " " +
                 shape_text(part.shape));
    }
  }
  if (!shapes.quantized_lut() &&
      (parts.lut_scale.info != nullptr || parts.lut_zero_point.info != nullptr)) {
    entry.fail("its LUT is " + std::string(dtype_name(shapes.lut_dtype)) + ", yet " +
               names.lut_scale + " or " + names.lut_zero_point + " is present");
  }
  check_index_padding(entry, shapes);
  return shapes;
}

// The LUT values as D holds them (exact in a double), table after table. A quantized LUT is
// dequantized as (q − zero_point)·lut_scale in float32 (float64 for D = F64), then cast to D; the
// scale is a value of D.
std::vector<double> lut_values(const PalettizedTensorInfo& info, const PalettizedParts& parts,
                               const Geometry& geometry) {
  const DType lut_dtype = parts.lut.info->dtype;
  const std::uint64_t per_table = geometry.palette * geometry.vector_size;
  std::vector<double> values(geometry.num_luts * per_table);
  const bool quantized = lut_dtype == DType::I8 || lut_dtype == DType::U8;
  for (std::uint64_t table = 0; table < geometry.num_luts; ++table) {
    const double scale =
        quantized ? read_number(info.dtype, parts.lut_scale.bytes.data, table) : 1.0;
    const double zero = parts.lut_zero_point.info != nullptr
                            ? read_number(lut_dtype, parts.lut_zero_point.bytes.data, table)
                            : 0.0;
    for (std::uint64_t k = table * per_table; k < (table + 1) * per_table; ++k) {
      const double q = read_number(lut_dtype, parts.lut.bytes.data, k);
      if (!quantized) {
        values[k] = q;
      } else if (info.dtype == DType::F64) {
        values[k] = (q - zero) * scale;
      } else {  // q − zero is an integer of at most 9 bits: exact in float32
        values[k] = round_to(info.dtype, static_cast<float>(q - zero) * static_cast<float>(scale));
      }
    }
  }
  return values;
}

std::vector<double> scale_values(const PalettizedTensorInfo& info, const PalettizedParts& parts) {
  if (!info.scale)
    return {};
  std::vector<double> values(static_cast<std::uint64_t>(info.shape[0]));
  for (std::uint64_t row = 0; row < values.size(); ++row) {
    values[row] = read_number(info.dtype, parts.scale.bytes.data, row);
  }
  return values;
}

// LUT value × per-channel scale, rounded once to D: both factors are exact in float32, so the
// float32 product is the only rounding for F16/BF16 (and the rounding of F32 itself).
double scaled(DType dtype, double value, double scale) {
  if (dtype == DType::F64)
    return value * scale;
  return round_to(dtype, static_cast<float>(value) * static_cast<float>(scale));
}

// Calls visit(output element, LUT value, output row) for every element of W, walking the index
// positions p of S_idx in row-major order: the LUT table is t = (p_i / block_i)_i, and index
// idx[p] with vector component j lands on output row p_0·d + j (d = cluster_dim), same columns.
template <class Visit>
void visit_elements(const Geometry& g, const std::uint8_t* packed, int n_bits, Visit&& visit) {
  if (g.index_count == 0)
    return;
  const std::size_t rank = g.index_shape.size();
  const std::uint64_t row_length = g.index_shape[rank - 1];
  std::vector<std::uint64_t> prefix(rank - 1, 0);  // p_0 … p_{r-2} of the current row
  std::uint64_t position = 0;
  for (std::uint64_t row = 0; row < g.index_count / row_length; ++row) {
    std::uint64_t table_base = 0;
    for (std::size_t i = 0; i + 1 < rank; ++i)
      table_base += prefix[i] / g.block[i] * g.table_stride[i];
    for (std::uint64_t c = 0; c < row_length; ++c, ++position) {
      const std::uint64_t table = table_base + c / g.block[rank - 1];
      const std::uint64_t index = numeric::unpack_index(packed, position, n_bits);
      const std::uint64_t lut_position = (table * g.palette + index) * g.vector_size;
      const std::uint64_t p0 = rank == 1 ? c : prefix[0];
      const std::uint64_t rest = position - p0 * g.inner;
      for (std::uint64_t j = 0; j < g.vector_size; ++j) {
        const std::uint64_t out_row = p0 * g.vector_size + j;
        visit(out_row * g.inner + rest, lut_position + j, out_row);
      }
    }
    for (std::size_t i = rank - 1; i-- > 0;) {  // odometer over the row prefix
      if (++prefix[i] < g.index_shape[i])
        break;
      prefix[i] = 0;
    }
  }
}

std::size_t element_size(DType dtype) {
  return dtype_bits(dtype) / 8;
}

}  // namespace

void detail::check_palettized_parts(const PalettizedTensorInfo& info, const PalettizedParts& parts,
                                    const std::string& source) {
  check_parts({info, parts, source});
}

std::vector<std::uint8_t> reconstruct_palettized(const PalettizedTensorInfo& info,
                                                 const PalettizedParts& parts,
                                                 const std::string& source) {
  const PalettizedShapes shapes = check_parts({info, parts, source});
  const Geometry geometry = make_geometry(info, shapes);
  const std::vector<double> lut = lut_values(info, parts, geometry);
  const std::vector<double> scale = scale_values(info, parts);
  std::vector<std::uint8_t> dense(geometry.numel * element_size(info.dtype));
  std::uint8_t* out = dense.data();
  const DType dtype = info.dtype;
  visit_elements(geometry, parts.indices.bytes.data, info.n_bits,
                 [&](std::uint64_t element, std::uint64_t lut_position, std::uint64_t row) {
                   const double value = lut[lut_position];
                   store(dtype, out, element,
                         scale.empty() ? value : scaled(dtype, value, scale[row]));
                 });
  return dense;
}

}  // namespace kmlut
