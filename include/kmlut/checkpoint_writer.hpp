// The output counterpart of Checkpoint: a single safetensors file, or shards in a directory and a
// model.safetensors.index.json. It owns one SafetensorsWriter per shard and the commit order.
//
// Nothing appears under the output path before commit(): each file is built as an unnamed
// temporary file (O_TMPFILE) and linked into place when committed, so a process killed before
// commit() leaves the output directory as it was (docs/format.md, "Writing files"). commit()
// places the shards one by one and the index last; a kill during commit() can leave some shards
// in place but never an index that lists a missing or partial shard.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kmlut/checkpoint.hpp"
#include "kmlut/format.hpp"
#include "kmlut/safetensors.hpp"
#include "kmlut/safetensors_writer.hpp"

namespace kmlut {

// What one output file holds.
struct ShardContents {
  std::string file_name;  // the shard's name in a sharded output; unused for a single file
  std::vector<OutputTensor> tensors;
  std::vector<std::pair<std::string, std::string>> metadata;  // "__metadata__"
};

class CheckpointWriter {
 public:
  // The file `output` (SingleFile, exactly one shard) or the directory `output` (Sharded; created
  // at commit when missing). Lays out every file and reserves its space. Throws InputError for an
  // invalid tensor list, Error for IO.
  CheckpointWriter(std::filesystem::path output, Checkpoint::Layout layout,
                   std::vector<ShardContents> shards);
  // A writer of some of the shards, for a job that several processes share: shard i is opened
  // and written here when `written_here[i]` (empty: every shard); the others only count in the
  // index.
  CheckpointWriter(std::filesystem::path output, Checkpoint::Layout layout,
                   std::vector<ShardContents> shards, const std::vector<bool>& written_here);
  CheckpointWriter(CheckpointWriter&&) noexcept;
  CheckpointWriter& operator=(CheckpointWriter&&) noexcept;
  ~CheckpointWriter();  // without commit(): every temporary file is gone

  // Empty shards named like `input`'s, for an output that mirrors its sharding.
  static std::vector<ShardContents> mirror_shards(const Checkpoint& input);

  // Writes all bytes of one tensor, in any order. Safe from several threads for different tensors.
  void write(const std::string& tensor, ByteView bytes);
  void write(const PalettizedOutput& output);

  std::uint64_t data_size() const;  // Σ tensor bytes of all shards

  // Places the shards, then the index of a sharded output. Returns the files in that order.
  std::vector<std::filesystem::path> commit();
  // The two halves of commit(), for a job whose processes must all place their shards before
  // one of them writes the index: the shards written here, then (Sharded only) the index.
  std::vector<std::filesystem::path> commit_shards();
  std::filesystem::path commit_index();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kmlut
