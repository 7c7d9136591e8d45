#include <stdexcept>

#include "host/io/mapped_file.hpp"
#include "kmlut/safetensors.hpp"

namespace kmlut {

struct SafetensorsFile::Impl {
  std::filesystem::path path;
  MappedFile map;
  SafetensorsHeader header;
};

SafetensorsFile::SafetensorsFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->map = MappedFile::open(path);
  impl->header = parse_safetensors_header(impl->map.bytes(), path.string());
  return SafetensorsFile(std::move(impl));
}

const std::filesystem::path& SafetensorsFile::path() const {
  return impl_->path;
}

const SafetensorsHeader& SafetensorsFile::header() const {
  return impl_->header;
}

std::uint64_t SafetensorsFile::file_size() const {
  return impl_->map.bytes().size;
}

ByteView SafetensorsFile::data(const TensorInfo& tensor) const {
  const ByteView file = impl_->map.bytes();
  const std::uint64_t data_size = file.size - impl_->header.data_offset;
  // A TensorInfo of another file could point past this mapping; refuse rather than read outside.
  if (tensor.end < tensor.begin || tensor.end > data_size) {
    throw std::out_of_range(impl_->path.string() + ": tensor \"" + tensor.name +
                            "\" lies outside the file's data section");
  }
  return {file.data + impl_->header.data_offset + tensor.begin,
          static_cast<std::size_t>(tensor.nbytes())};
}

void SafetensorsFile::release(const TensorInfo& tensor) const {
  const ByteView bytes = data(tensor);
  impl_->map.release(static_cast<std::size_t>(bytes.data - impl_->map.bytes().data), bytes.size);
}

}  // namespace kmlut
