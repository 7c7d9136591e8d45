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

// An open, validated safetensors file.
class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::filesystem::path& path);

  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  ~SafetensorsFile();

  const std::filesystem::path& path() const;
  const SafetensorsHeader& header() const;
  const std::vector<TensorInfo>& tensors() const { return header().tensors; }
  std::uint64_t file_size() const;

  // The tensor's bytes inside the mapping (valid while this object lives).
  ByteView data(const TensorInfo& tensor) const;
  // Done with a tensor's bytes for now: see MappedFile::release.
  void release(const TensorInfo& tensor) const;

 private:
  struct Impl;
  explicit SafetensorsFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;  // at a fixed address: TensorInfo pointers into it stay valid
};

}  // namespace kmlut
