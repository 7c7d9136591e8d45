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
  std::vector<std::unique_ptr<SafetensorsWriter>> shards;
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

  void write_index() const {
    std::uint64_t total_size = 0;
    for (const auto& shard : shards)
      total_size += shard->data_size();
    nlohmann::ordered_json index;
    index["metadata"] = {{"total_size", total_size}};
    index["weight_map"] = weight_map;
    write_file_atomically(output / kSafetensorsIndexFileName, index.dump(2) + "\n");
  }
};

CheckpointWriter::CheckpointWriter(std::filesystem::path output, Checkpoint::Layout layout,
                                   std::vector<ShardContents> shards)
    : impl_(std::make_unique<Impl>()) {
  impl_->output = std::move(output);
  impl_->layout = layout;
  if (layout == Checkpoint::Layout::SingleFile && shards.size() != 1) {
    throw InputError(impl_->output.string() +
                     ": a single-file output needs exactly one shard, got " +
                     std::to_string(shards.size()));
  }
  for (ShardContents& shard : shards) {
    const std::size_t index = impl_->shards.size();
    for (const OutputTensor& tensor : shard.tensors) {
      if (!impl_->shard_of.emplace(tensor.name, index).second)
        throw InputError(impl_->output.string() + ": duplicate tensor name " + tensor.name);
      // Names are unique (checked above): append instead of ordered_json's linear-time lookup.
      impl_->weight_map.get_ptr<nlohmann::ordered_json::object_t*>()->push_back(
          {tensor.name, shard.file_name});
    }
    impl_->shards.push_back(std::make_unique<SafetensorsWriter>(
        impl_->shard_path(shard), std::move(shard.tensors), std::move(shard.metadata)));
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
  impl_->shards[it->second]->write(tensor, bytes);
}

void CheckpointWriter::write(const PalettizedOutput& output) {
  for (const PartBytes& part : output.parts)
    write(part.tensor.name, part.bytes);
}

std::uint64_t CheckpointWriter::data_size() const {
  std::uint64_t size = 0;
  for (const auto& shard : impl_->shards)
    size += shard->data_size();
  return size;
}

std::vector<std::filesystem::path> CheckpointWriter::commit() {
  std::vector<std::filesystem::path> files;
  for (const auto& shard : impl_->shards) {
    shard->commit();
    files.push_back(shard->path());
  }
  if (impl_->layout == Checkpoint::Layout::Sharded) {
    impl_->write_index();
    files.push_back(impl_->output / kSafetensorsIndexFileName);
  }
  return files;
}

}  // namespace kmlut
