// The kmlut v1 format codec (docs/format.md): a safetensors file in which each palettized tensor N
// is stored as parts (N.lut, N.indices and, by its spec, N.scale, N.lut_scale, N.lut_zero_point),
// described by the "kmlut.tensors" entry of the file's metadata. This header is the one home of the
// part names, the entry's JSON and the parts' dtypes and shapes: writers size their tensors with
// it, readers check what they find against it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kmlut/dtype.hpp"
#include "kmlut/safetensors.hpp"
#include "kmlut/safetensors_writer.hpp"

namespace kmlut {

inline constexpr const char* kKmlutVersionKey = "kmlut.version";
inline constexpr const char* kKmlutTensorsKey = "kmlut.tensors";
inline constexpr const char* kKmlutFormatVersion = "1";

// The names of N's parts. Which of them a file holds depends on N's spec (palettized_parts).
struct PartNames {
  std::string lut;             // N.lut
  std::string indices;         // N.indices
  std::string scale;           // N.scale, with per-channel scale
  std::string lut_scale;       // N.lut_scale, with an I8/U8 LUT
  std::string lut_zero_point;  // N.lut_zero_point, with an I8/U8 LUT (optional when read)
};
PartNames part_names(const std::string& tensor);

// One palettized tensor's entry in "kmlut.tensors".
struct PalettizedTensorInfo {
  std::string name;                 // the original tensor N
  std::vector<std::int64_t> shape;  // S
  DType dtype = DType::F32;         // D
  int n_bits = 4;
  int cluster_dim = 1;
  std::optional<int> vector_axis;  // 0 when cluster_dim > 1, else none
  std::optional<int> group_axis;   // the grouping axis; none for per_tensor
  std::optional<std::int64_t> group_size;
  std::string packing = "lsb_bitstream";
  std::string lut;                   // "N.lut"
  std::string indices;               // "N.indices"
  std::optional<std::string> scale;  // "N.scale" with per-channel scale

  friend bool operator==(const PalettizedTensorInfo& a, const PalettizedTensorInfo& b);
};

// What a palettized tensor's parts look like: every fact the entry and the LUT dtype imply.
struct PalettizedShapes {
  DType lut_dtype = DType::F32;             // D, or I8/U8 for a quantized LUT
  std::vector<std::int64_t> lut_shape;      // [g_0 .. g_{r-1}, 2^n_bits, cluster_dim]
  std::uint64_t num_luts = 0;               // g_0 · … · g_{r-1}
  std::vector<std::int64_t> index_shape;    // S_idx: S with S_0 / cluster_dim
  std::uint64_t index_count = 0;            // numel(S_idx)
  std::uint64_t packed_index_bytes = 0;     // ceil(index_count · n_bits / 8)
  std::vector<std::int64_t> scale_shape;    // [S_0, 1, ..., 1], or empty without N.scale
  std::vector<std::int64_t> per_lut_shape;  // [num_luts]: N.lut_scale, N.lut_zero_point
  bool quantized_lut() const { return lut_dtype == DType::I8 || lut_dtype == DType::U8; }
};

// The shapes `info` implies with a LUT of `lut_dtype` (D, I8 or U8). Checks the entry first (rank,
// n_bits, cluster_dim, vector_axis, group_axis/group_size, sizes that overflow 64 bits) and throws
// InputError naming `source` and the tensor when it is inconsistent.
PalettizedShapes palettized_shapes(const PalettizedTensorInfo& info, DType lut_dtype,
                                   const std::string& source);

// The parts a writer stores for `info`, in this order: lut, indices, then scale, lut_scale and
// lut_zero_point where the shapes have them.
std::vector<OutputTensor> palettized_parts(const PalettizedTensorInfo& info,
                                           const PalettizedShapes& shapes);

// One stored tensor of the output and its bytes (a view into the PalettizeResult).
struct PartBytes {
  OutputTensor tensor;
  ByteView bytes;
};

struct PalettizedOutput {
  PalettizedTensorInfo info;     // the entry for "kmlut.tensors"
  std::vector<PartBytes> parts;  // in palettized_parts order
};

// The JSON string stored under "kmlut.tensors" (an object keyed by N, in the given order).
std::string kmlut_tensors_to_json(const std::vector<PalettizedTensorInfo>& tensors);

// A kmlut v1 file's "__metadata__": format, kmlut.version and kmlut.tensors.
std::vector<std::pair<std::string, std::string>> kmlut_metadata(
    const std::vector<PalettizedTensorInfo>& tensors);

// Parses a "kmlut.tensors" string strictly: duplicate keys, integers that are not JSON integers
// in range (4.9, true, [2.7]), unknown packings or dtypes and inconsistent entries are InputErrors
// naming `source` and the tensor. Entries come back in document order.
std::vector<PalettizedTensorInfo> parse_kmlut_tensors(const std::string& json,
                                                      const std::string& source);

}  // namespace kmlut
