#include "kmlut/checkpoint_writer.hpp"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "kmlut/atomic_file.hpp"
#include "kmlut/error.hpp"

namespace kmlut {

struct CheckpointWriter::Impl {
  std::filesystem::path output;
  Checkpoint::Layout layout = Checkpoint::Layout::SingleFile;
  std::vector<std::string> file_names;
  std::vector<std::unique_ptr<SafetensorsWriter>> shards;  // null where written elsewhere
  std::vector<std::uint64_t> data_sizes;                   // Σ tensor bytes, per shard
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  std::unordered_map<std::string, std::size_t> shard_of;

  std::filesystem::path shard_path(const ShardContents& shard) const {
    if (layout == Checkpoint::Layout::SingleFile)
      return output;
    if (shard.file_name.empty() || std::filesystem::path(shard.file_name).has_parent_path()) {
      throw InputError(output.string() + ": invalid shard file name \"" + shard.file_name + "\"");
    }
    return output / shard.file_name;
  }

  std::uint64_t total_size() const {
    std::uint64_t total = 0;
    for (std::uint64_t size : data_sizes)
      total += size;
    return total;
  }

  void write_index() const {
    nlohmann::ordered_json index;
    index["metadata"] = {{"total_size", total_size()}};
    index["weight_map"] = weight_map;
    write_file_atomically(output / kSafetensorsIndexFileName, index.dump(2) + "\n");
  }
};

CheckpointWriter::CheckpointWriter(std::filesystem::path output, Checkpoint::Layout layout,
                                   std::vector<ShardContents> shards)
    : CheckpointWriter(std::move(output), layout, std::move(shards), {}) {}

CheckpointWriter::CheckpointWriter(std::filesystem::path output, Checkpoint::Layout layout,
                                   std::vector<ShardContents> shards,
                                   const std::vector<bool>& written_here)
    : impl_(std::make_unique<Impl>()) {
  impl_->output = std::move(output);
  impl_->layout = layout;
  if (layout == Checkpoint::Layout::SingleFile && shards.size() != 1) {
    throw InputError(impl_->output.string() +
                     ": a single-file output needs exactly one shard, got " +
                     std::to_string(shards.size()));
  }
  if (!written_here.empty() && written_here.size() != shards.size()) {
    throw Error(impl_->output.string() + ": " + std::to_string(written_here.size()) +
                " shard flags for " + std::to_string(shards.size()) + " shards");
  }
  for (ShardContents& shard : shards) {
    const std::size_t index = impl_->shards.size();
    std::uint64_t data_size = 0;
    for (const OutputTensor& tensor : shard.tensors) {
      data_size += tensor_byte_size(tensor.dtype, tensor.shape);
      if (!impl_->shard_of.emplace(tensor.name, index).second)
        throw InputError(impl_->output.string() + ": duplicate tensor name " + tensor.name);
      // Names are unique (checked above): append instead of ordered_json's linear-time lookup.
      impl_->weight_map.get_ptr<nlohmann::ordered_json::object_t*>()->push_back(
          {tensor.name, shard.file_name});
    }
    const std::filesystem::path path = impl_->shard_path(shard);
    impl_->data_sizes.push_back(data_size);
    impl_->shards.push_back(written_here.empty() || written_here[index]
                                ? std::make_unique<SafetensorsWriter>(
                                      path, std::move(shard.tensors), std::move(shard.metadata))
                                : nullptr);
  }
}

CheckpointWriter::CheckpointWriter(CheckpointWriter&&) noexcept = default;
CheckpointWriter& CheckpointWriter::operator=(CheckpointWriter&&) noexcept = default;
CheckpointWriter::~CheckpointWriter() = default;

std::vector<ShardContents> CheckpointWriter::mirror_shards(const Checkpoint& input) {
  std::vector<ShardContents> shards(input.shards().size());
  for (std::size_t i = 0; i < shards.size(); ++i)
    shards[i].file_name = input.shards()[i].path().filename().string();
  return shards;
}

void CheckpointWriter::write(const std::string& tensor, ByteView bytes) {
  auto it = impl_->shard_of.find(tensor);
  if (it == impl_->shard_of.end())
    throw Error(impl_->output.string() + ": no tensor named " + tensor + " in the layout");
  if (!impl_->shards[it->second])
    throw Error(impl_->output.string() + ": tensor " + tensor + " is in a shard written elsewhere");
  impl_->shards[it->second]->write(tensor, bytes);
}

void CheckpointWriter::write(const PalettizedOutput& output) {
  for (const PartBytes& part : output.parts)
    write(part.tensor.name, part.bytes);
}

std::uint64_t CheckpointWriter::data_size() const {
  return impl_->total_size();
}

std::vector<std::filesystem::path> CheckpointWriter::commit() {
  std::vector<std::filesystem::path> files = commit_shards();
  if (impl_->layout == Checkpoint::Layout::Sharded)
    files.push_back(commit_index());
  return files;
}

std::vector<std::filesystem::path> CheckpointWriter::commit_shards() {
  std::vector<std::filesystem::path> files;
  for (const auto& shard : impl_->shards) {
    if (!shard)
      continue;
    shard->commit();
    files.push_back(shard->path());
  }
  return files;
}

std::filesystem::path CheckpointWriter::commit_index() {
  if (impl_->layout != Checkpoint::Layout::Sharded)
    throw Error(impl_->output.string() + ": a single-file output has no index");
  impl_->write_index();
  return impl_->output / kSafetensorsIndexFileName;
}

}  // namespace kmlut
