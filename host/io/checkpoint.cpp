#include "kmlut/checkpoint.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/key_path.hpp"
#include "host/io/strict_json.hpp"
#include "kmlut/error.hpp"

namespace kmlut {

using detail::json_quote;

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr std::string_view kWeightMapKey = "weight_map";
constexpr std::size_t kMaxListedFiles = 5;

// What Checkpoint::open found, before the tensor list is built over it.
struct OpenedShards {
  Checkpoint::Layout layout;
  fs::path source;
  std::vector<SafetensorsFile> shards;
};

// Where the weight_map says each tensor is; tensors in file order, shards in order of first
// appearance (so errors and shard order do not depend on hashing).
struct WeightMap {
  std::vector<std::string> tensors;
  std::vector<std::string> shard_names;
  std::unordered_map<std::string, std::size_t> shard_of_tensor;
};

// Shards must sit next to the index, so an index cannot make us read files elsewhere.
bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

WeightMap read_weight_map(const detail::JsonDocument& index, const std::string& source) {
  if (!index.root.is_object()) {
    throw InputError(source + ": index is not a JSON object");
  }
  const auto entries = index.root.find(kWeightMapKey);
  if (entries == index.root.end() || !entries->is_object()) {
    throw InputError(source + ": \"weight_map\" must be an object mapping tensor names to shards");
  }
  WeightMap map;
  std::unordered_map<std::string, std::size_t> shard_ids;
  for (const std::string& tensor : index.member_keys) {
    const Json& shard = entries->at(tensor);
    const std::string where = source + ": weight_map entry " + json_quote(tensor);
    if (!shard.is_string()) {
      throw InputError(where + ": the shard must be a file name string");
    }
    const auto& shard_name = shard.get_ref<const std::string&>();
    if (!is_plain_file_name(shard_name)) {
      throw InputError(where + ": shard " + json_quote(shard_name) +
                       " is not a plain file name in the index's directory");
    }
    const auto [id, added] = shard_ids.emplace(shard_name, map.shard_names.size());
    if (added) {
      map.shard_names.push_back(shard_name);
    }
    map.shard_of_tensor.emplace(tensor, id->second);
  }
  map.tensors = index.member_keys;
  return map;
}

// Every tensor of every shard must be listed for that shard, and every listed tensor must exist.
void check_shards_match(const WeightMap& map, const std::vector<SafetensorsFile>& shards,
                        const std::string& source) {
  std::unordered_map<std::string, std::size_t> found_in;
  for (std::size_t shard = 0; shard < shards.size(); ++shard) {
    const std::string shard_name = json_quote(map.shard_names[shard]);
    for (const TensorInfo& tensor : shards[shard].tensors()) {
      const std::string where =
          source + ": tensor " + json_quote(tensor.name) + " of shard " + shard_name;
      const auto [previous, added] = found_in.emplace(tensor.name, shard);
      if (!added) {
        throw InputError(where + " is also in shard " +
                         json_quote(map.shard_names[previous->second]));
      }
      const auto listed = map.shard_of_tensor.find(tensor.name);
      if (listed == map.shard_of_tensor.end()) {
        throw InputError(where + " is not listed in weight_map");
      }
      if (listed->second != shard) {
        throw InputError(where + " is listed in weight_map for shard " +
                         json_quote(map.shard_names[listed->second]));
      }
    }
  }
  for (const std::string& tensor : map.tensors) {
    if (found_in.count(tensor) == 0) {
      throw InputError(source + ": weight_map lists tensor " + json_quote(tensor) + " in shard " +
                       json_quote(map.shard_names[map.shard_of_tensor.at(tensor)]) +
                       ", which does not hold it");
    }
  }
}

OpenedShards open_index(const fs::path& index_path) {
  const std::string source = index_path.string();
  const MappedFile file = MappedFile::open(index_path);
  const ByteView bytes = file.bytes();
  const std::string_view text(reinterpret_cast<const char*>(bytes.data), bytes.size);
  const WeightMap map =
      read_weight_map(detail::parse_json_document(text, source, kWeightMapKey), source);

  OpenedShards opened{Checkpoint::Layout::Sharded, index_path, {}};
  opened.shards.reserve(map.shard_names.size());
  for (const std::string& shard_name : map.shard_names) {
    opened.shards.push_back(SafetensorsFile::open(index_path.parent_path() / shard_name));
  }
  check_shards_match(map, opened.shards, source);
  return opened;
}

OpenedShards open_single_file(const fs::path& path) {
  OpenedShards opened{Checkpoint::Layout::SingleFile, path, {}};
  opened.shards.push_back(SafetensorsFile::open(path));
  return opened;
}

std::vector<std::string> safetensors_files_in(const fs::path& directory) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    if (it->path().extension() == ".safetensors" && it->is_regular_file(error)) {
      names.push_back(it->path().filename().string());
    }
  }
  if (error) {
    throw InputError(directory.string() + ": cannot list: " + error.message());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string listing(const std::vector<std::string>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < kMaxListedFiles; ++i) {
    text += (i == 0 ? "" : ", ") + names[i];
  }
  if (names.size() > kMaxListedFiles) {
    text += ", ...";
  }
  return text;
}

OpenedShards open_directory(const fs::path& directory) {
  const fs::path index = directory / kSafetensorsIndexFileName;
  std::error_code error;
  if (fs::is_regular_file(index, error)) {
    return open_index(index);
  }
  const std::vector<std::string> names = safetensors_files_in(directory);
  if (names.size() == 1) {
    return open_single_file(directory / names.front());
  }
  const std::string found = names.empty() ? "no .safetensors file"
                                          : "several .safetensors files (" + listing(names) + ")";
  throw InputError(directory.string() + ": " + found + " and no " +
                   std::string(kSafetensorsIndexFileName));
}

OpenedShards open_input(const fs::path& input) {
  std::error_code error;
  const fs::file_status status = fs::status(input, error);
  if (status.type() == fs::file_type::not_found) {
    throw InputError(input.string() + ": no such file or directory");
  }
  if (error) {
    throw InputError(input.string() + ": cannot access: " + error.message());
  }
  if (fs::is_directory(status)) {
    return open_directory(input);
  }
  if (input.extension() == ".json") {
    return open_index(input);
  }
  return open_single_file(input);
}

}  // namespace

struct Checkpoint::Impl {
  Layout layout = Layout::SingleFile;
  fs::path source;
  std::vector<SafetensorsFile> shards;
  std::vector<TensorRef> tensors;
  std::unordered_map<std::string, std::size_t> index_by_name;  // into tensors
};

Checkpoint::Checkpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Checkpoint::Checkpoint(Checkpoint&&) noexcept = default;
Checkpoint& Checkpoint::operator=(Checkpoint&&) noexcept = default;
Checkpoint::~Checkpoint() = default;

Checkpoint Checkpoint::open(const fs::path& input) {
  OpenedShards opened = open_input(input);
  auto impl = std::make_unique<Impl>();
  impl->layout = opened.layout;
  impl->source = std::move(opened.source);
  // The shards stay where they are for the checkpoint's life, so the pointers taken below stay
  // valid wherever the checkpoint is moved.
  impl->shards = std::move(opened.shards);
  for (std::size_t shard = 0; shard < impl->shards.size(); ++shard) {
    for (const TensorInfo& tensor : impl->shards[shard].tensors()) {
      impl->index_by_name.emplace(tensor.name, impl->tensors.size());
      impl->tensors.push_back({&tensor, shard});
    }
  }
  return Checkpoint(std::move(impl));
}

Checkpoint::Layout Checkpoint::layout() const {
  return impl_->layout;
}

const fs::path& Checkpoint::source() const {
  return impl_->source;
}

const std::vector<SafetensorsFile>& Checkpoint::shards() const {
  return impl_->shards;
}

const std::vector<Checkpoint::TensorRef>& Checkpoint::tensors() const {
  return impl_->tensors;
}

const Checkpoint::TensorRef* Checkpoint::find(const std::string& name) const {
  const auto it = impl_->index_by_name.find(name);
  return it == impl_->index_by_name.end() ? nullptr : &impl_->tensors[it->second];
}

}  // namespace kmlut
