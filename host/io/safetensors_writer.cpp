#include "kmlut/safetensors_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "host/io/pending_file.hpp"
#include "kmlut/error.hpp"

namespace kmlut {
namespace {

void write_all_at(int fd, const std::uint8_t* data, std::uint64_t size, std::uint64_t offset,
                  const std::filesystem::path& path) {
  while (size > 0) {
    const ssize_t written = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      throw Error(path.string() + ": cannot write: " + std::strerror(errno));
    data += written;
    size -= static_cast<std::uint64_t>(written);
    offset += static_cast<std::uint64_t>(written);
  }
}

// The reference writer's order: larger alignment first, then name.
std::vector<const OutputTensor*> layout_order(const std::vector<OutputTensor>& tensors) {
  std::vector<const OutputTensor*> order;
  for (const OutputTensor& tensor : tensors)
    order.push_back(&tensor);
  std::sort(order.begin(), order.end(), [](const OutputTensor* a, const OutputTensor* b) {
    const unsigned align_a = dtype_alignment(a->dtype);
    const unsigned align_b = dtype_alignment(b->dtype);
    return align_a != align_b ? align_a > align_b : a->name < b->name;
  });
  return order;
}

}  // namespace

struct SafetensorsWriter::Impl {
  struct Slot {
    std::uint64_t offset;  // from the start of the file
    std::uint64_t size;
  };

  explicit Impl(std::filesystem::path path) : file(std::move(path)) {}

  detail::PendingFile file;
  std::uint64_t file_size = 0;
  std::uint64_t data_size = 0;
  std::unordered_map<std::string, Slot> slots;

  void write_header(const std::string& text) {
    std::uint8_t length[8];
    for (int i = 0; i < 8; ++i)
      length[i] = static_cast<std::uint8_t>(text.size() >> (8 * i));
    write_all_at(file.fd(), length, 8, 0, file.path());
    write_all_at(file.fd(), reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), 8,
                 file.path());
    // Reserve the whole file now: a full disk fails here, before any clustering work is spent.
    const int reserved = ::posix_fallocate(file.fd(), 0, static_cast<off_t>(file_size));
    if (reserved != 0 && reserved != EOPNOTSUPP && reserved != EINVAL) {
      throw Error(file.path().string() + ": cannot reserve " + std::to_string(file_size) +
                  " bytes: " + std::strerror(reserved));
    }
  }
};

std::uint64_t tensor_byte_size(DType dtype, const std::vector<std::int64_t>& shape) {
  std::uint64_t bits = dtype_bits(dtype);
  for (std::int64_t dim : shape) {
    const auto extent = static_cast<std::uint64_t>(dim);
    if (dim < 0 || (extent != 0 && bits > UINT64_MAX / extent)) {
      throw InputError("tensor byte size overflows");
    }
    bits *= extent;
  }
  return (bits + 7) / 8;
}

SafetensorsWriter::SafetensorsWriter(std::filesystem::path path, std::vector<OutputTensor> tensors,
                                     std::vector<std::pair<std::string, std::string>> metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json& meta = header["__metadata__"];
    for (auto& [key, value] : metadata)
      meta[key] = value;
  }
  std::uint64_t offset = 0;
  std::unordered_set<std::string> names;
  std::vector<std::pair<std::string, Impl::Slot>> relative;  // offsets from the data section
  for (const OutputTensor* tensor : layout_order(tensors)) {
    const std::uint64_t size = tensor_byte_size(tensor->dtype, tensor->shape);
    if (!names.insert(tensor->name).second || tensor->name == "__metadata__") {
      throw InputError(path.string() + ": duplicate tensor name " + tensor->name);
    }
    header[tensor->name] = {{"dtype", std::string(dtype_name(tensor->dtype))},
                            {"shape", tensor->shape},
                            {"data_offsets", {offset, offset + size}}};
    relative.push_back({tensor->name, Impl::Slot{offset, size}});
    offset += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const std::uint64_t data_start = 8 + text.size();
  impl_ = std::make_unique<Impl>(std::move(path));
  impl_->data_size = offset;
  impl_->file_size = data_start + offset;
  for (const auto& [name, slot] : relative)
    impl_->slots[name] = {data_start + slot.offset, slot.size};
  impl_->write_header(text);
}

SafetensorsWriter::~SafetensorsWriter() = default;

void SafetensorsWriter::write(const std::string& name, ByteView bytes) {
  auto it = impl_->slots.find(name);
  const std::filesystem::path& path = impl_->file.path();
  if (it == impl_->slots.end())
    throw Error(path.string() + ": no tensor named " + name);
  if (bytes.size != it->second.size) {
    throw Error(path.string() + ": tensor " + name + " has " + std::to_string(it->second.size) +
                " bytes, got " + std::to_string(bytes.size));
  }
  write_all_at(impl_->file.fd(), bytes.data, bytes.size, it->second.offset, path);
}

void SafetensorsWriter::commit() {
  impl_->file.place();
}

const std::filesystem::path& SafetensorsWriter::path() const {
  return impl_->file.path();
}

std::uint64_t SafetensorsWriter::file_size() const {
  return impl_->file_size;
}

std::uint64_t SafetensorsWriter::data_size() const {
  return impl_->data_size;
}

}  // namespace kmlut
