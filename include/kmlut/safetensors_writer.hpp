// Writing safetensors files the way the reference writer does: the header JSON padded with spaces
// to a multiple of 8 bytes, tensors ordered by dtype alignment (largest first) then name, so every
// tensor is naturally aligned. The file appears atomically: it is built under a temporary name in
// the target's directory and renamed into place by commit(); a writer destroyed without commit()
// removes its temporary file, so a failed run never leaves a truncated file under the final name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kmlut/dtype.hpp"
#include "kmlut/safetensors.hpp"

namespace kmlut {

// A tensor the file will hold: its bytes are written later, in any order.
struct OutputTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
};

class SafetensorsWriter {
 public:
  // Lays the file out and writes its header. Throws InputError for an invalid tensor list
  // (duplicate names, byte sizes that overflow) and Error for an IO failure, naming the file.
  SafetensorsWriter(std::filesystem::path path, std::vector<OutputTensor> tensors,
                    std::vector<std::pair<std::string, std::string>> metadata);
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;
  ~SafetensorsWriter();

  // Writes all of a tensor's bytes (their count must equal its size). Safe to call from several
  // threads for different tensors.
  void write(const std::string& name, ByteView bytes);

  // Flushes to disk and renames the file into place. Throws Error on failure.
  void commit();

  const std::filesystem::path& path() const { return path_; }
  std::uint64_t file_size() const { return file_size_; }
  // Σ tensor bytes (an index's total_size).
  std::uint64_t data_size() const { return data_size_; }

 private:
  struct Slot {
    std::uint64_t offset;  // from the start of the file
    std::uint64_t size;
  };

  void write_header(const std::string& text);
  void discard() noexcept;  // closes and removes the temporary file

  std::filesystem::path path_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  bool committed_ = false;
  std::uint64_t file_size_ = 0;
  std::uint64_t data_size_ = 0;
  std::unordered_map<std::string, Slot> slots_;
};

// The byte size of a tensor of `dtype` and `shape`; throws InputError on overflow.
std::uint64_t tensor_byte_size(DType dtype, const std::vector<std::int64_t>& shape);

}  // namespace kmlut
