#include <stdexcept>

#include "kmlut/safetensors.hpp"

namespace kmlut {

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile file;
  file.path_ = path;
  file.map_ = MappedFile::open(path);
  file.header_ = parse_safetensors_header(file.map_.bytes(), path.string());
  return file;
}

ByteView SafetensorsFile::data(const TensorInfo& tensor) const {
  const ByteView file = map_.bytes();
  const std::uint64_t data_size = file.size - header_.data_offset;
  // A TensorInfo of another file could point past this mapping; refuse rather than read outside.
  if (tensor.end < tensor.begin || tensor.end > data_size) {
    throw std::out_of_range(path_.string() + ": tensor \"" + tensor.name +
                            "\" lies outside the file's data section");
  }
  return {file.data + header_.data_offset + tensor.begin,
          static_cast<std::size_t>(tensor.nbytes())};
}

}  // namespace kmlut

namespace kmlut {

void SafetensorsFile::release(const TensorInfo& tensor) const {
  const ByteView bytes = data(tensor);
  map_.release(static_cast<std::size_t>(bytes.data - map_.bytes().data), bytes.size);
}

}  // namespace kmlut
