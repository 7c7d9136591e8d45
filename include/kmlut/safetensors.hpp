// Reading safetensors files: header parsing with every check of the reference implementation,
// and zero-copy access to tensor bytes through a read-only memory map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kmlut/dtype.hpp"

namespace kmlut {

// A non-owning view of bytes.
struct ByteView {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

// One tensor entry of a safetensors header. Offsets are relative to the data section.
struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;

  std::uint64_t numel() const;
  std::uint64_t nbytes() const { return end - begin; }
};

// The reference reader's limit on the header length (HeaderTooLarge).
inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;                            // in data-offset order
  std::vector<std::pair<std::string, std::string>> metadata;  // __metadata__, in file order
  std::uint64_t data_offset = 0;                              // 8 + header length

  const TensorInfo* find(const std::string& name) const;
  const std::string* metadata_value(const std::string& key) const;
};

// Parses and validates the header of a complete safetensors file held in `file`. `source` names the
// file in error messages. Throws InputError("<source>: <defect>") on any defect.
SafetensorsHeader parse_safetensors_header(ByteView file, const std::string& source);

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

// An open, validated safetensors file.
class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const SafetensorsHeader& header() const { return header_; }
  const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
  std::uint64_t file_size() const { return map_.bytes().size; }

  // The tensor's bytes inside the mapping (valid while this object lives).
  ByteView data(const TensorInfo& tensor) const;
  // Done with a tensor's bytes for now: see MappedFile::release.
  void release(const TensorInfo& tensor) const;

 private:
  std::filesystem::path path_;
  MappedFile map_;
  SafetensorsHeader header_;
};

}  // namespace kmlut
