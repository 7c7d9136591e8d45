// Palettizing one in-memory tensor for embedders (the C ABI in host/capi/ and the Python module in
// host/python/): a weight and a spec in, the backend's result and its parts out, each part with the
// dtype and shape `kmlut palettize` stores it under (docs/format.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kmlut/palettize.hpp"
#include "kmlut/safetensors.hpp"

namespace kmlut::embed {

// How one tensor is clustered (what a plan's job says besides the spec).
struct ClusterOptions {
  bool fast_mode = true;
  int rounding_precision = 4;
  std::uint64_t seed = 0;
  // The consuming op ("linear", "conv_transpose2d", ...): a per_grouped_channel spec whose axis is
  // null groups along this op's default axis, as resolution does for a checkpoint.
  std::string op_type;
  TensorView sensitivity;  // data null = none
};

// Where it runs.
struct RunOptions {
  std::string backend = "auto";
  int threads = 0;  // 0 = all cores
};

struct TensorRequest {
  std::string name = "tensor";  // for messages
  TensorView weight;            // not copied; it must outlive the call
  PalettizationSpec spec;
  ClusterOptions cluster;
};

// The stored parts of a palettized tensor (N.lut, N.indices, ...), plus the unpacked indices.
enum class PartKind { Lut, PackedIndices, Indices, Scale, LutScale, LutZeroPoint };

struct Part {
  DType dtype = DType::U8;
  std::vector<std::int64_t> shape;
  ByteView bytes;  // a view into the result
};

inline constexpr std::size_t kPartKinds = 6;

// Move-only: the parts are views into the result's buffers, which a move keeps in place.
struct TensorPalettization {
  PalettizeRequest request;
  PalettizeResult result;  // result.palettized false: stays dense, result.skip_reason says why
  std::array<std::optional<Part>, kPartKinds> parts;  // by PartKind; absent parts are nullopt

  TensorPalettization() = default;
  TensorPalettization(TensorPalettization&&) = default;
  TensorPalettization& operator=(TensorPalettization&&) = default;
  TensorPalettization(const TensorPalettization&) = delete;
  TensorPalettization& operator=(const TensorPalettization&) = delete;

  // nullptr when the result has no such part (not palettized, no scale, no lut_qspec).
  const Part* part(PartKind kind) const;
  // The reconstruction Ŵ in the weight's dtype and shape, through the format's decoder; the
  // weight's own bytes when the tensor was skipped.
  std::vector<std::uint8_t> dense() const;
};

// Runs the requests through one backend as one batch; results in order. A tensor that cannot be
// palettized (dtype, size, non-finite values, a group size that does not divide) comes back
// skipped with its reason, as in a checkpoint. Throws ConfigError for an invalid option.
std::vector<TensorPalettization> palettize_tensors(const std::vector<TensorRequest>& requests,
                                                   const RunOptions& run);

// One request.
TensorPalettization palettize_tensor(const TensorRequest& request, const RunOptions& run);

}  // namespace kmlut::embed
