// A checkpoint: one safetensors file, or shards listed by a model.safetensors.index.json, or a
// directory holding either.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
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

  Checkpoint(Checkpoint&&) noexcept;
  Checkpoint& operator=(Checkpoint&&) noexcept;
  ~Checkpoint();

  Layout layout() const;
  // The index file for a sharded checkpoint; the single file otherwise.
  const std::filesystem::path& source() const;
  const std::vector<SafetensorsFile>& shards() const;
  // All tensors, shard by shard, each shard in data-offset order.
  const std::vector<TensorRef>& tensors() const;
  const TensorRef* find(const std::string& name) const;
  ByteView data(const TensorRef& ref) const { return shards()[ref.shard].data(*ref.info); }
  void release(const TensorRef& ref) const { shards()[ref.shard].release(*ref.info); }

 private:
  struct Impl;
  explicit Checkpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kmlut
