#include "kmlut/safetensors_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_set>

#include "kmlut/error.hpp"

namespace kmlut {
namespace {

std::string system_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

void write_all_at(int fd, const std::uint8_t* data, std::uint64_t size, std::uint64_t offset,
                  const std::filesystem::path& path) {
  while (size > 0) {
    const ssize_t written = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      throw Error(system_error(path.string() + ": cannot write"));
    data += written;
    size -= static_cast<std::uint64_t>(written);
    offset += static_cast<std::uint64_t>(written);
  }
}

// A unique sibling of `path`, so concurrent runs and leftovers of killed runs never collide.
std::filesystem::path temporary_sibling(const std::filesystem::path& path) {
  std::random_device entropy;
  const std::string suffix = std::to_string(::getpid()) + "-" + std::to_string(entropy());
  return path.parent_path() / ("." + path.filename().string() + ".kmlut-tmp-" + suffix);
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
                                     std::vector<std::pair<std::string, std::string>> metadata)
    : path_(std::move(path)), temporary_(temporary_sibling(path_)) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json& meta = header["__metadata__"];
    for (auto& [key, value] : metadata)
      meta[key] = value;
  }
  std::uint64_t offset = 0;
  std::unordered_set<std::string> names;
  std::vector<std::pair<std::string, Slot>> relative;  // offsets from the data section
  for (const OutputTensor* tensor : layout_order(tensors)) {
    const std::uint64_t size = tensor_byte_size(tensor->dtype, tensor->shape);
    if (!names.insert(tensor->name).second || tensor->name == "__metadata__") {
      throw InputError(path_.string() + ": duplicate tensor name " + tensor->name);
    }
    header[tensor->name] = {{"dtype", std::string(dtype_name(tensor->dtype))},
                            {"shape", tensor->shape},
                            {"data_offsets", {offset, offset + size}}};
    relative.push_back({tensor->name, Slot{offset, size}});
    offset += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const std::uint64_t data_start = 8 + text.size();
  data_size_ = offset;
  file_size_ = data_start + offset;
  for (const auto& [name, slot] : relative)
    slots_[name] = {data_start + slot.offset, slot.size};
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error(system_error(temporary_.string() + ": cannot create"));
  try {
    write_header(text);
  } catch (...) {
    discard();  // a constructor that throws runs no destructor
    throw;
  }
}

void SafetensorsWriter::write_header(const std::string& text) {
  std::uint8_t length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<std::uint8_t>(text.size() >> (8 * i));
  write_all_at(fd_, length, 8, 0, temporary_);
  write_all_at(fd_, reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), 8, temporary_);
  // Reserve the whole file now: a full disk fails here, before any clustering work is spent.
  const int reserved = ::posix_fallocate(fd_, 0, static_cast<off_t>(file_size_));
  if (reserved != 0 && reserved != EOPNOTSUPP && reserved != EINVAL) {
    errno = reserved;
    throw Error(
        system_error(path_.string() + ": cannot reserve " + std::to_string(file_size_) + " bytes"));
  }
}

void SafetensorsWriter::discard() noexcept {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
}

SafetensorsWriter::~SafetensorsWriter() {
  if (fd_ >= 0)
    ::close(fd_);
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void SafetensorsWriter::write(const std::string& name, ByteView bytes) {
  auto it = slots_.find(name);
  if (it == slots_.end())
    throw Error(path_.string() + ": no tensor named " + name);
  if (bytes.size != it->second.size) {
    throw Error(path_.string() + ": tensor " + name + " has " + std::to_string(it->second.size) +
                " bytes, got " + std::to_string(bytes.size));
  }
  write_all_at(fd_, bytes.data, bytes.size, it->second.offset, temporary_);
}

void SafetensorsWriter::commit() {
  if (::fsync(fd_) != 0)
    throw Error(system_error(path_.string() + ": cannot flush"));
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw Error(system_error(path_.string() + ": cannot close"));
  }
  fd_ = -1;
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  if (error)
    throw Error(path_.string() + ": cannot rename into place: " + error.message());
  committed_ = true;
}

}  // namespace kmlut
