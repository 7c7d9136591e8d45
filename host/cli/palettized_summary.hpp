// What `kmlut inspect` tells a person about a kmlut v1 checkpoint (docs/format.md): how each
// palettized tensor is stored and what it costs, and the totals.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kmlut/checkpoint.hpp"
#include "kmlut/decode.hpp"

namespace kmlut::cli {

struct PalettizedTensorSummary {
  const KmlutIndex::Entry* entry = nullptr;
  std::string granularity;  // "per_tensor" or "per_grouped_channel"
  std::size_t num_luts = 0;
  DType lut_dtype = DType::F32;
  std::uint64_t numel = 0;
  std::uint64_t bytes_before = 0;  // the original tensor's bytes
  std::uint64_t bytes_after = 0;   // its stored parts' bytes
};

struct PalettizedSummary {
  std::vector<PalettizedTensorSummary> tensors;  // in the checkpoint's metadata order
  std::vector<const TensorInfo*> dense;          // stored tensors that are no part of an entry
  std::uint64_t weights = 0;                     // elements of the original tensors, all of them
  std::uint64_t bytes_before = 0;                // Σ original bytes
  std::uint64_t bytes_after = 0;                 // Σ stored bytes
  std::uint64_t palettized_numel = 0;
  std::uint64_t palettized_bytes_before = 0;
  std::uint64_t palettized_bytes_after = 0;

  double bits_per_weight() const;             // stored bits per original element, overall
  double palettized_bits_per_weight() const;  // the same over the palettized tensors only
  double compression_ratio() const;           // bytes_before / bytes_after
};

// Reads the checkpoint's kmlut metadata through KmlutIndex (which checks it; InputError).
PalettizedSummary summarize_palettized(const Checkpoint& checkpoint, const KmlutIndex& index);

}  // namespace kmlut::cli
