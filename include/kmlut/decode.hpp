// Reading kmlut v1 files back (docs/format.md): reconstructing palettized tensors and decoding a
// whole checkpoint to dense safetensors. This is the reference reconstruction for consumers of the
// format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kmlut/checkpoint.hpp"
#include "kmlut/format.hpp"

namespace kmlut {

// One stored tensor: its header entry and its bytes (info == nullptr when absent).
struct StoredTensor {
  const TensorInfo* info = nullptr;
  ByteView bytes;
};

// The stored parts of one palettized tensor N.
struct PalettizedParts {
  StoredTensor lut;             // N.lut
  StoredTensor indices;         // N.indices
  StoredTensor scale;           // N.scale, only with per-channel scale
  StoredTensor lut_scale;       // N.lut_scale, only with an I8/U8 LUT
  StoredTensor lut_zero_point;  // N.lut_zero_point, optional with an I8/U8 LUT (absent = 0)
};

// Reconstructs N from its parts: its dense, row-major, little-endian bytes in info.dtype with
// shape info.shape. `source` names the file in errors. Every inconsistency between the metadata
// entry and the parts is an InputError naming `source` and N.
std::vector<std::uint8_t> reconstruct_palettized(const PalettizedTensorInfo& info,
                                                 const PalettizedParts& parts,
                                                 const std::string& source);

// The kmlut v1 content of a checkpoint: the "kmlut.tensors" entries of all its shards and where
// their parts are stored. The checkpoint must outlive it.
class KmlutIndex {
 public:
  struct Entry {
    PalettizedTensorInfo info;
    std::size_t shard = 0;  // every part lives in this shard
    PalettizedParts parts;
  };

  // Reads and cross-checks every shard's metadata: a supported "kmlut.version", parts that exist,
  // lie in one shard and belong to one entry, no stored tensor under an entry's name N.
  // A checkpoint without kmlut metadata gives an empty index. Throws InputError.
  explicit KmlutIndex(const Checkpoint& checkpoint);
  KmlutIndex(KmlutIndex&&) noexcept;
  KmlutIndex& operator=(KmlutIndex&&) noexcept;
  ~KmlutIndex();

  const std::vector<Entry>& entries() const;
  // The entry of palettized tensor N, or nullptr.
  const Entry* find(const std::string& name) const;
  // The entry a stored tensor is a part of (lut, indices, scale, ...), or nullptr.
  const Entry* entry_of_part(const std::string& tensor) const;
  // reconstruct_palettized for one entry, naming its shard in errors.
  std::vector<std::uint8_t> reconstruct(const Entry& entry) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct DecodeSummary {
  std::size_t palettized = 0;  // tensors reconstructed
  std::size_t copied = 0;      // tensors copied byte for byte
  std::uint64_t bytes = 0;     // Σ tensor bytes written
  std::vector<std::filesystem::path> files;
};

// Writes `input` as dense safetensors: palettized tensors reconstructed under their names, every
// other tensor copied byte for byte, "__metadata__" = {"format": "pt"}. A single-file input gives
// the file `output`; a sharded input gives the directory `output` (created when missing) with the
// same shard file names and a model.safetensors.index.json. Files are replaced atomically, the
// index last (CheckpointWriter); one tensor is held in memory at a time. Throws InputError
// (defective input) or Error (IO). Refusing to overwrite is the caller's business.
DecodeSummary decode_checkpoint(const Checkpoint& input, const std::filesystem::path& output);

}  // namespace kmlut
