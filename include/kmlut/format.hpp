// The kmlut v1 format (DESIGN §4, docs/format.md): a safetensors file in which each palettized
// tensor N is stored as N.lut, N.indices and optionally N.scale, described by the "kmlut.tensors"
// entry of the file's metadata.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kmlut/dtype.hpp"

namespace kmlut {

inline constexpr const char* kKmlutVersionKey = "kmlut.version";
inline constexpr const char* kKmlutTensorsKey = "kmlut.tensors";
inline constexpr const char* kKmlutFormatVersion = "1";

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

// The JSON string stored under "kmlut.tensors" (an object keyed by N, in the given order).
std::string kmlut_tensors_to_json(const std::vector<PalettizedTensorInfo>& tensors);

// Parses and checks a "kmlut.tensors" string; `source` names the file in errors (InputError).
std::vector<PalettizedTensorInfo> parse_kmlut_tensors(const std::string& json,
                                                      const std::string& source);

}  // namespace kmlut
