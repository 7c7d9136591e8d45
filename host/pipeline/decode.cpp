// Reconstruction of kmlut v1 tensors (DESIGN §4), whole-checkpoint decoding and verification.
// The reconstruction is the normative reference of docs/format.md: a consumer that follows that
// document gets exactly these bytes.
#include "kmlut/decode.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "config/key_path.hpp"
#include "kmlut/atomic_file.hpp"
#include "kmlut/error.hpp"
#include "kmlut/numeric/bit_packing.hpp"
#include "kmlut/numeric/float_formats.hpp"
#include "kmlut/safetensors_writer.hpp"

namespace kmlut {

using detail::json_quote;
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr const char* kIndexFileName = "model.safetensors.index.json";

[[noreturn]] void fail(const std::string& source, const std::string& tensor,
                       const std::string& problem) {
  throw InputError(source + ": tensor " + json_quote(tensor) + ": " + problem);
}

// ---------------------------------------------------------------------------------------------
// Element access. Safetensors data is little-endian, as is every host kmlut builds for.

template <class T>
T load(const std::uint8_t* base, std::uint64_t i) {
  T value;
  std::memcpy(&value, base + i * sizeof(T), sizeof(T));
  return value;
}

template <class T>
void store_raw(std::uint8_t* base, std::uint64_t i, T value) {
  std::memcpy(base + i * sizeof(T), &value, sizeof(T));
}

bool has_numeric_reading(DType dtype) {
  switch (dtype) {
    case DType::F64:
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::BOOL:
    case DType::I8:
    case DType::U8:
    case DType::I16:
    case DType::U16:
    case DType::I32:
    case DType::U32:
    case DType::I64:
    case DType::U64:
      return true;
    default:
      return false;
  }
}

// Element i of a tensor of `dtype` (one with has_numeric_reading) as a double.
double read_number(DType dtype, const std::uint8_t* base, std::uint64_t i) {
  switch (dtype) {
    case DType::F64:
      return load<double>(base, i);
    case DType::F32:
      return load<float>(base, i);
    case DType::F16:
      return numeric::half_bits_to_float(load<std::uint16_t>(base, i));
    case DType::BF16:
      return numeric::bf16_bits_to_float(load<std::uint16_t>(base, i));
    case DType::BOOL:
      return load<std::uint8_t>(base, i) != 0 ? 1.0 : 0.0;
    case DType::I8:
      return load<std::int8_t>(base, i);
    case DType::U8:
      return load<std::uint8_t>(base, i);
    case DType::I16:
      return load<std::int16_t>(base, i);
    case DType::U16:
      return load<std::uint16_t>(base, i);
    case DType::I32:
      return load<std::int32_t>(base, i);
    case DType::U32:
      return load<std::uint32_t>(base, i);
    case DType::I64:
      return static_cast<double>(load<std::int64_t>(base, i));
    case DType::U64:
      return static_cast<double>(load<std::uint64_t>(base, i));
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

// A float32 result rounded once to D (F32/F16/BF16), held exactly in a double. For D = F64 the
// callers compute in double instead.
double round_to(DType dtype, float value) {
  switch (dtype) {
    case DType::F16:
      return numeric::half_bits_to_float(numeric::float_to_half_bits(value));
    case DType::BF16:
      return numeric::bf16_bits_to_float(numeric::float_to_bf16_bits(value));
    default:
      return value;
  }
}

// Writes a value that D represents exactly (so the conversion does not round).
void store(DType dtype, std::uint8_t* base, std::uint64_t i, double value) {
  switch (dtype) {
    case DType::F64:
      store_raw(base, i, value);
      return;
    case DType::F16:
      store_raw(base, i, numeric::float_to_half_bits(static_cast<float>(value)));
      return;
    case DType::BF16:
      store_raw(base, i, numeric::float_to_bf16_bits(static_cast<float>(value)));
      return;
    default:
      store_raw(base, i, static_cast<float>(value));
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation of one entry against its parts, and the index geometry it implies.

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
    kmlut::fail(source, info.name, problem);
  }
};

std::uint64_t checked_numel(const std::vector<std::int64_t>& shape, const EntryContext& entry) {
  // Output bytes (up to 8 per element) and index bits (up to 8 per element) must fit in 64 bits.
  constexpr std::uint64_t kLimit = std::numeric_limits<std::uint64_t>::max() / 8;
  std::uint64_t numel = 1;
  for (std::int64_t dim : shape) {
    const auto extent = static_cast<std::uint64_t>(dim);
    if (extent != 0 && numel > kLimit / extent)
      entry.fail("shape " + shape_text(shape) + " is too large");
    numel *= extent;
  }
  return numel;
}

void check_vector_axis(const EntryContext& entry) {
  const PalettizedTensorInfo& info = entry.info;
  if (info.vector_axis && *info.vector_axis != 0) {
    entry.fail("vector_axis " + std::to_string(*info.vector_axis) +
               " is not supported: kmlut v1 vectors run along axis 0");
  }
  if (info.cluster_dim > 1 && !info.vector_axis) {
    entry.fail("cluster_dim " + std::to_string(info.cluster_dim) + " needs vector_axis 0");
  }
  if (info.shape[0] % info.cluster_dim != 0) {
    entry.fail("dimension 0 of shape " + shape_text(info.shape) +
               " is not a multiple of cluster_dim " + std::to_string(info.cluster_dim));
  }
}

// The LUT is [g_0 … g_{r-1}, 2^n_bits, cluster_dim] in D, I8 or U8, each g_i dividing S_idx[i].
void check_lut_shape(const EntryContext& entry, const std::vector<std::int64_t>& index_shape) {
  const PalettizedTensorInfo& info = entry.info;
  const TensorInfo* lut = entry.parts.lut.info;
  if (lut == nullptr)
    entry.fail("its LUT tensor " + json_quote(info.lut) + " is missing");
  const std::string what = "LUT " + json_quote(info.lut) + " ";
  if (lut->dtype != info.dtype && lut->dtype != DType::I8 && lut->dtype != DType::U8) {
    entry.fail(what + "has dtype " + std::string(dtype_name(lut->dtype)) + "; expected " +
               std::string(dtype_name(info.dtype)) + ", I8 or U8");
  }
  const std::size_t rank = info.shape.size();
  if (lut->shape.size() != rank + 2) {
    entry.fail(what + "has shape " + shape_text(lut->shape) + "; expected rank " +
               std::to_string(rank + 2) + ": [g_0 … g_" + std::to_string(rank - 1) +
               ", 2^n_bits, cluster_dim]");
  }
  if (lut->shape[rank] != (std::int64_t{1} << info.n_bits)) {
    entry.fail(what + "has " + std::to_string(lut->shape[rank]) + " entries per table; n_bits " +
               std::to_string(info.n_bits) + " needs " + std::to_string(1 << info.n_bits));
  }
  if (lut->shape[rank + 1] != info.cluster_dim) {
    entry.fail(what + "holds vectors of " + std::to_string(lut->shape[rank + 1]) +
               " values; cluster_dim is " + std::to_string(info.cluster_dim));
  }
  for (std::size_t i = 0; i < rank; ++i) {
    if (lut->shape[i] < 1 || index_shape[i] % lut->shape[i] != 0) {
      entry.fail(what + "dimension " + std::to_string(i) + " (" + std::to_string(lut->shape[i]) +
                 ") does not divide the index dimension " + std::to_string(index_shape[i]) +
                 " (index shape " + shape_text(index_shape) + ")");
    }
  }
}

// group_axis/group_size only describe the LUT grid; they must agree with it.
void check_grouping(const EntryContext& entry) {
  const PalettizedTensorInfo& info = entry.info;
  if (info.group_axis.has_value() != info.group_size.has_value()) {
    entry.fail("group_axis and group_size must both be set or both be null");
  }
  const std::size_t rank = info.shape.size();
  std::vector<std::int64_t> expected(rank, 1);
  if (info.group_axis) {
    const int axis = *info.group_axis;
    const std::int64_t size = *info.group_size;
    if (axis < 0 || static_cast<std::size_t>(axis) >= rank) {
      entry.fail("group_axis " + std::to_string(axis) + " is not an axis of shape " +
                 shape_text(info.shape));
    }
    const std::int64_t extent = info.shape[static_cast<std::size_t>(axis)];
    if (size < 1 || extent % size != 0) {
      entry.fail("group_size " + std::to_string(size) + " does not divide dimension " +
                 std::to_string(axis) + " (" + std::to_string(extent) + ")");
    }
    expected[static_cast<std::size_t>(axis)] = extent / size;
  }
  const std::vector<std::int64_t>& lut_shape = entry.parts.lut.info->shape;
  if (!std::equal(expected.begin(), expected.end(), lut_shape.begin())) {
    entry.fail("LUT " + json_quote(info.lut) + " has shape " + shape_text(lut_shape) +
               ", which disagrees with group_axis/group_size: expected the grid " +
               shape_text(expected));
  }
}

// N.indices is a U8 vector of exactly ceil(numel(S_idx)·n_bits/8) bytes whose padding bits are 0.
void check_indices(const EntryContext& entry, std::uint64_t index_count) {
  const PalettizedTensorInfo& info = entry.info;
  const StoredTensor& indices = entry.parts.indices;
  if (indices.info == nullptr)
    entry.fail("its index tensor " + json_quote(info.indices) + " is missing");
  const std::string what = "index tensor " + json_quote(info.indices) + " ";
  if (indices.info->dtype != DType::U8 || indices.info->shape.size() != 1) {
    entry.fail(what + "must be a 1-D U8 tensor, not " +
               std::string(dtype_name(indices.info->dtype)) + " " +
               shape_text(indices.info->shape));
  }
  const std::uint64_t bits = index_count * static_cast<std::uint64_t>(info.n_bits);
  const std::uint64_t expected = (bits + 7) / 8;
  if (indices.bytes.size != expected) {
    entry.fail(what + "holds " + std::to_string(indices.bytes.size) + " bytes; " +
               std::to_string(index_count) + " indices of " + std::to_string(info.n_bits) +
               " bits need " + std::to_string(expected));
  }
  // With 2^n_bits LUT entries every n-bit index is in range; bits past the last index would be
  // the start of an index that does not exist, which only a wrong n_bits or shape produces.
  if (bits % 8 != 0 && (indices.bytes.data[expected - 1] >> (bits % 8)) != 0) {
    entry.fail(what + "has non-zero bits after its last index (an index out of range)");
  }
}

// N.scale, when the entry names one: D, [S_0, 1, …, 1].
void check_scale(const EntryContext& entry) {
  const PalettizedTensorInfo& info = entry.info;
  if (!info.scale)
    return;
  const TensorInfo* scale = entry.parts.scale.info;
  if (scale == nullptr)
    entry.fail("its scale tensor " + json_quote(*info.scale) + " is missing");
  std::vector<std::int64_t> expected(info.shape.size(), 1);
  expected[0] = info.shape[0];
  if (scale->dtype != info.dtype || scale->shape != expected) {
    entry.fail("scale " + json_quote(*info.scale) + " is " + std::string(dtype_name(scale->dtype)) +
               " " + shape_text(scale->shape) + "; expected " +
               std::string(dtype_name(info.dtype)) + " " + shape_text(expected));
  }
}

// An I8/U8 LUT needs N.lut_scale (the weight's dtype, [num_luts]: the dtype of the values it
// produces, as in Core ML's constexpr_blockwise_shift_scale) and may have N.lut_zero_point (LUT
// dtype, [num_luts]); a float LUT has neither.
void check_lut_quantization(const EntryContext& entry, std::uint64_t num_luts) {
  const PalettizedParts& parts = entry.parts;
  const DType lut_dtype = parts.lut.info->dtype;
  const std::string& name = entry.info.name;
  if (lut_dtype != DType::I8 && lut_dtype != DType::U8) {
    if (parts.lut_scale.info != nullptr || parts.lut_zero_point.info != nullptr) {
      entry.fail("its LUT is " + std::string(dtype_name(lut_dtype)) + ", yet " + name +
                 ".lut_scale or " + name + ".lut_zero_point is present");
    }
    return;
  }
  const std::vector<std::int64_t> expected{static_cast<std::int64_t>(num_luts)};
  const TensorInfo* scale = parts.lut_scale.info;
  if (scale == nullptr)
    entry.fail("its LUT is quantized but " + json_quote(name + ".lut_scale") + " is missing");
  if (scale->dtype != entry.info.dtype || scale->shape != expected) {
    entry.fail(json_quote(name + ".lut_scale") + " is " + std::string(dtype_name(scale->dtype)) +
               " " + shape_text(scale->shape) + "; expected " +
               std::string(dtype_name(entry.info.dtype)) + " " + shape_text(expected));
  }
  const TensorInfo* zero_point = parts.lut_zero_point.info;
  if (zero_point != nullptr && (zero_point->dtype != lut_dtype || zero_point->shape != expected)) {
    entry.fail(json_quote(name + ".lut_zero_point") + " is " +
               std::string(dtype_name(zero_point->dtype)) + " " + shape_text(zero_point->shape) +
               "; expected " + std::string(dtype_name(lut_dtype)) + " " + shape_text(expected));
  }
}

std::vector<std::uint64_t> to_unsigned(const std::vector<std::int64_t>& values) {
  return {values.begin(), values.end()};
}

Geometry make_geometry(const EntryContext& entry, const std::vector<std::int64_t>& index_shape) {
  const std::vector<std::int64_t>& lut_shape = entry.parts.lut.info->shape;
  const std::size_t rank = index_shape.size();
  Geometry geometry;
  geometry.index_shape = to_unsigned(index_shape);
  geometry.numel = checked_numel(entry.info.shape, entry);
  geometry.index_count = checked_numel(index_shape, entry);
  geometry.palette = static_cast<std::uint64_t>(lut_shape[rank]);
  geometry.vector_size = static_cast<std::uint64_t>(entry.info.cluster_dim);
  geometry.block.resize(rank);
  geometry.table_stride.resize(rank);
  std::uint64_t stride = 1;
  for (std::size_t i = rank; i-- > 0;) {
    const auto tables = static_cast<std::uint64_t>(lut_shape[i]);
    geometry.block[i] = geometry.index_shape[i] / tables;
    geometry.table_stride[i] = stride;
    stride *= tables;
    if (i > 0)
      geometry.inner *= geometry.index_shape[i];
  }
  geometry.num_luts = stride;
  return geometry;
}

// Every check of DESIGN §4 for one entry; returns its geometry.
Geometry check_entry(const EntryContext& entry) {
  if (entry.info.shape.empty())
    entry.fail("a palettized tensor needs rank >= 1");
  check_vector_axis(entry);
  std::vector<std::int64_t> index_shape = entry.info.shape;
  index_shape[0] /= entry.info.cluster_dim;
  check_lut_shape(entry, index_shape);
  check_grouping(entry);
  Geometry geometry = make_geometry(entry, index_shape);
  check_indices(entry, geometry.index_count);
  check_scale(entry);
  check_lut_quantization(entry, geometry.num_luts);
  return geometry;
}

// ---------------------------------------------------------------------------------------------
// Reconstruction.

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

StoredTensor stored(const Checkpoint& checkpoint, const Checkpoint::TensorRef* ref) {
  if (ref == nullptr)
    return {};
  return {ref->info, checkpoint.data(*ref)};
}

}  // namespace

std::vector<std::uint8_t> reconstruct_palettized(const PalettizedTensorInfo& info,
                                                 const PalettizedParts& parts,
                                                 const std::string& source) {
  const Geometry geometry = check_entry({info, parts, source});
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

// ---------------------------------------------------------------------------------------------
// KmlutIndex

namespace {

void check_version(const SafetensorsHeader& header, const std::string& source) {
  const std::string* version = header.metadata_value(kKmlutVersionKey);
  if (version == nullptr || *version != kKmlutFormatVersion) {
    throw InputError(source + ": metadata " + json_quote(kKmlutVersionKey) + " is " +
                     (version ? json_quote(*version) : std::string("missing")) +
                     "; this kmlut reads version " + kKmlutFormatVersion);
  }
}

// The parts an entry names (lut, indices, scale) and the ones its name implies (lut_scale,
// lut_zero_point), looked up in the checkpoint.
PalettizedParts find_parts(const Checkpoint& checkpoint, const PalettizedTensorInfo& info) {
  PalettizedParts parts;
  parts.lut = stored(checkpoint, checkpoint.find(info.lut));
  parts.indices = stored(checkpoint, checkpoint.find(info.indices));
  if (info.scale)
    parts.scale = stored(checkpoint, checkpoint.find(*info.scale));
  parts.lut_scale = stored(checkpoint, checkpoint.find(info.name + ".lut_scale"));
  parts.lut_zero_point = stored(checkpoint, checkpoint.find(info.name + ".lut_zero_point"));
  return parts;
}

std::vector<const TensorInfo*> present_parts(const PalettizedParts& parts) {
  std::vector<const TensorInfo*> present;
  for (const StoredTensor* part :
       {&parts.lut, &parts.indices, &parts.scale, &parts.lut_scale, &parts.lut_zero_point}) {
    if (part->info != nullptr)
      present.push_back(part->info);
  }
  return present;
}

}  // namespace

KmlutIndex::KmlutIndex(const Checkpoint& checkpoint) : checkpoint_(&checkpoint) {
  for (const SafetensorsFile& file : checkpoint.shards()) {
    const std::string source = file.path().string();
    const std::string* listing = file.header().metadata_value(kKmlutTensorsKey);
    if (listing == nullptr)
      continue;
    check_version(file.header(), source);
    for (PalettizedTensorInfo& info : parse_kmlut_tensors(*listing, source)) {
      if (const Entry* previous = find(info.name)) {
        if (previous->info == info)
          continue;  // the same entry in several shards' metadata
        fail(source, info.name, "listed again with a different entry");
      }
      if (checkpoint.find(info.name) != nullptr) {
        fail(source, info.name, "both a palettized entry and a stored tensor");
      }
      Entry entry{std::move(info), 0, {}};
      entry.parts = find_parts(checkpoint, entry.info);
      check_entry({entry.info, entry.parts, source});
      entry.shard = checkpoint.find(entry.info.lut)->shard;
      for (const TensorInfo* part : present_parts(entry.parts)) {
        const Checkpoint::TensorRef* ref = checkpoint.find(part->name);
        if (ref->shard != entry.shard) {
          fail(source, entry.info.name,
               "its parts " + json_quote(entry.info.lut) + " and " + json_quote(part->name) +
                   " are in different shards");
        }
        if (!part_owner_.emplace(part->name, entries_.size()).second) {
          fail(source, entry.info.name,
               "its part " + json_quote(part->name) + " also belongs to " +
                   json_quote(entries_[part_owner_[part->name]].info.name));
        }
      }
      entry_by_name_.emplace(entry.info.name, entries_.size());
      entries_.push_back(std::move(entry));
    }
  }
}

const KmlutIndex::Entry* KmlutIndex::find(const std::string& name) const {
  const auto it = entry_by_name_.find(name);
  return it == entry_by_name_.end() ? nullptr : &entries_[it->second];
}

const KmlutIndex::Entry* KmlutIndex::entry_of_part(const std::string& tensor) const {
  const auto it = part_owner_.find(tensor);
  return it == part_owner_.end() ? nullptr : &entries_[it->second];
}

std::vector<std::uint8_t> KmlutIndex::reconstruct(const Entry& entry) const {
  return reconstruct_palettized(entry.info, entry.parts,
                                checkpoint_->shards()[entry.shard].path().string());
}

// ---------------------------------------------------------------------------------------------
// decode_checkpoint

namespace {

// Writes one shard's dense counterpart, tensors in the input's order (a palettized tensor where
// its LUT was); returns Σ tensor bytes and appends the tensor names to `names`.
std::uint64_t decode_shard(const Checkpoint& input, const KmlutIndex& index, std::size_t shard,
                           const fs::path& output, DecodeSummary& summary,
                           std::vector<std::string>& names) {
  struct Item {
    const Checkpoint::TensorRef* copy;
    const KmlutIndex::Entry* entry;
  };
  std::vector<Item> items;
  std::vector<OutputTensor> layout;
  for (const Checkpoint::TensorRef& ref : input.tensors()) {
    if (ref.shard != shard)
      continue;
    const KmlutIndex::Entry* entry = index.entry_of_part(ref.info->name);
    if (entry == nullptr) {
      items.push_back({&ref, nullptr});
      layout.push_back({ref.info->name, ref.info->dtype, ref.info->shape});
    } else if (entry->info.lut == ref.info->name) {
      items.push_back({nullptr, entry});
      layout.push_back({entry->info.name, entry->info.dtype, entry->info.shape});
    }
  }
  SafetensorsWriter writer(output, layout, {{"format", "pt"}});
  for (const Item& item : items) {
    if (item.copy != nullptr) {
      writer.write(item.copy->info->name, input.data(*item.copy));
      ++summary.copied;
    } else {
      const std::vector<std::uint8_t> dense = index.reconstruct(*item.entry);
      writer.write(item.entry->info.name, {dense.data(), dense.size()});
      ++summary.palettized;
    }
  }
  writer.commit();
  for (const OutputTensor& tensor : layout)
    names.push_back(tensor.name);
  summary.bytes += writer.data_size();
  summary.files.push_back(output);
  return writer.data_size();
}

void create_directory_for(const fs::path& directory) {
  if (directory.empty())
    return;
  std::error_code error;
  fs::create_directories(directory, error);
  if (error)
    throw Error(directory.string() + ": cannot create directory: " + error.message());
}

}  // namespace

DecodeSummary decode_checkpoint(const Checkpoint& input, const fs::path& output) {
  const KmlutIndex index(input);
  DecodeSummary summary;
  std::vector<std::string> names;
  if (input.layout() == Checkpoint::Layout::SingleFile) {
    create_directory_for(output.parent_path());
    decode_shard(input, index, 0, output, summary, names);
    return summary;
  }
  create_directory_for(output);
  Json weight_map = Json::object();
  std::uint64_t total_size = 0;
  for (std::size_t shard = 0; shard < input.shards().size(); ++shard) {
    const fs::path file_name = input.shards()[shard].path().filename();
    names.clear();
    total_size += decode_shard(input, index, shard, output / file_name, summary, names);
    for (const std::string& name : names)
      weight_map[name] = file_name.string();
  }
  const fs::path index_path = output / kIndexFileName;
  const Json index_file = {{"metadata", {{"total_size", total_size}}}, {"weight_map", weight_map}};
  write_file_atomically(index_path, index_file.dump(2) + "\n");
  summary.files.push_back(index_path);
  return summary;
}

// ---------------------------------------------------------------------------------------------
// verify_checkpoint

double ErrorStats::rel_error() const {
  if (sse == 0.0)
    return 0.0;
  if (sum_sq == 0.0)
    return std::numeric_limits<double>::infinity();
  return std::sqrt(sse / sum_sq);
}

double ErrorStats::snr_db() const {
  if (sse == 0.0)
    return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(sum_sq / sse);
}

void ErrorStats::add(const ErrorStats& other) {
  numel += other.numel;
  sum_sq += other.sum_sq;
  sse += other.sse;
  max_abs_error = std::max(max_abs_error, other.max_abs_error);
}

namespace {

ErrorStats compare_values(DType dtype, std::uint64_t numel, ByteView original, ByteView other) {
  ErrorStats stats;
  stats.numel = numel;
  for (std::uint64_t i = 0; i < numel; ++i) {
    const double w = read_number(dtype, original.data, i);
    const double w_hat = read_number(dtype, other.data, i);
    // Equal values (infinities included) and NaN against NaN are no error.
    const bool same = w == w_hat || (std::isnan(w) && std::isnan(w_hat));
    const double difference = same ? 0.0 : w - w_hat;
    stats.sum_sq += w * w;
    stats.sse += difference * difference;
    stats.max_abs_error = std::max(stats.max_abs_error, std::abs(difference));
  }
  return stats;
}

void check_counterpart(const TensorInfo& original, const std::string& original_source, DType dtype,
                       const std::vector<std::int64_t>& shape, const std::string& source) {
  if (dtype == original.dtype && shape == original.shape)
    return;
  fail(source, original.name,
       std::string(dtype_name(dtype)) + " " + shape_text(shape) + " here, but " + original_source +
           " has " + std::string(dtype_name(original.dtype)) + " " + shape_text(original.shape));
}

TensorVerification verify_tensor(const Checkpoint& original, const Checkpoint::TensorRef& ref,
                                 const Checkpoint& palettized, const KmlutIndex& index) {
  const TensorInfo& info = *ref.info;
  const std::string source = palettized.source().string();
  TensorVerification result{info.name, info.dtype, info.shape, false, false, true, {}};
  std::vector<std::uint8_t> dense;
  ByteView other;
  if (const KmlutIndex::Entry* entry = index.find(info.name)) {
    check_counterpart(info, original.source().string(), entry->info.dtype, entry->info.shape,
                      source);
    dense = index.reconstruct(*entry);
    other = {dense.data(), dense.size()};
    result.palettized = true;
  } else {
    const Checkpoint::TensorRef* counterpart = palettized.find(info.name);
    if (counterpart == nullptr || index.entry_of_part(info.name) != nullptr) {
      fail(source, info.name, "missing; " + original.source().string() + " has it");
    }
    check_counterpart(info, original.source().string(), counterpart->info->dtype,
                      counterpart->info->shape, source);
    other = palettized.data(*counterpart);
  }
  const ByteView reference = original.data(ref);
  result.identical =
      reference.size == 0 || std::memcmp(reference.data, other.data, reference.size) == 0;
  result.values_compared = has_numeric_reading(info.dtype);
  if (result.values_compared)
    result.error = compare_values(info.dtype, info.numel(), reference, other);
  return result;
}

}  // namespace

VerifyReport verify_checkpoint(const Checkpoint& original, const Checkpoint& palettized) {
  const KmlutIndex index(palettized);
  VerifyReport report;
  for (const Checkpoint::TensorRef& ref : original.tensors()) {
    TensorVerification tensor = verify_tensor(original, ref, palettized, index);
    if (tensor.values_compared && is_palettizable_dtype(tensor.dtype)) {
      report.total.add(tensor.error);
      if (tensor.palettized)
        report.palettized_total.add(tensor.error);
    }
    if (tensor.palettized)
      ++report.palettized_count;
    report.tensors.push_back(std::move(tensor));
  }
  return report;
}

}  // namespace kmlut
