// A read-only memory map of a whole file (the storage behind SafetensorsFile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "kmlut/safetensors.hpp"

namespace kmlut {

// A read-only memory map of a whole file.
class MappedFile {
 public:
  // Throws InputError naming the path when the file cannot be opened or mapped.
  static MappedFile open(const std::filesystem::path& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  ByteView bytes() const { return {data_, size_}; }

  // Drops the resident pages of [offset, offset + size) from this process (the page cache keeps
  // them), so streaming through a large file does not grow the resident set. Reading the range
  // again faults the pages back in.
  void release(std::size_t offset, std::size_t size) const;

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace kmlut
