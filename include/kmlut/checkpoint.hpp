// A checkpoint: one safetensors file, or shards listed by a model.safetensors.index.json, or a
// directory holding either.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "kmlut/safetensors.hpp"

namespace kmlut {

// The index file of a sharded checkpoint (the weight map from tensor to shard file).
inline constexpr const char* kSafetensorsIndexFileName = "model.safetensors.index.json";

class Checkpoint {
 public:
  enum class Layout { SingleFile, Sharded };

  // Where one tensor lives.
  struct TensorRef {
    const TensorInfo* info;
    std::size_t shard;
  };

  // Opens and validates INPUT: a .safetensors file, an index .json, or a directory holding a
  // model.safetensors.index.json or exactly one .safetensors file. Throws InputError.
  static Checkpoint open(const std::filesystem::path& input);

  Layout layout() const { return layout_; }
  // The index file for a sharded checkpoint; the single file otherwise.
  const std::filesystem::path& source() const { return source_; }
  const std::vector<SafetensorsFile>& shards() const { return shards_; }
  // All tensors, shard by shard, each shard in data-offset order.
  const std::vector<TensorRef>& tensors() const { return tensors_; }
  const TensorRef* find(const std::string& name) const;
  ByteView data(const TensorRef& ref) const { return shards_[ref.shard].data(*ref.info); }
  void release(const TensorRef& ref) const { shards_[ref.shard].release(*ref.info); }

 private:
  Layout layout_ = Layout::SingleFile;
  std::filesystem::path source_;
  std::vector<SafetensorsFile> shards_;
  std::vector<TensorRef> tensors_;
  std::unordered_map<std::string, std::size_t> index_by_name_;  // into tensors_
};

}  // namespace kmlut
