// Writing safetensors files the way the reference writer does: the header JSON padded with spaces
// to a multiple of 8 bytes, tensors ordered by dtype alignment (largest first) then name, so every
// tensor is naturally aligned. The file appears atomically: it is built as an unnamed temporary
// file and linked into place by commit() (docs/format.md, "Writing files"), so a writer destroyed
// without commit(), or a process killed before it, leaves nothing behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
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

  // Flushes to disk and gives the file its name (replacing a file already there), creating the
  // missing directories above it. Throws Error on failure.
  void commit();

  const std::filesystem::path& path() const;
  std::uint64_t file_size() const;
  // Σ tensor bytes (an index's total_size).
  std::uint64_t data_size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The byte size of a tensor of `dtype` and `shape`; throws InputError on overflow.
std::uint64_t tensor_byte_size(DType dtype, const std::vector<std::int64_t>& shape);

}  // namespace kmlut
