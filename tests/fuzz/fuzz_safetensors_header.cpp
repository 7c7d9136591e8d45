// libFuzzer target for the safetensors header parser. Rejections must be kmlut::Error; any other
// exception, a sanitizer report, or an accepted header that breaks the parser's guarantees crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "kmlut/error.hpp"
#include "kmlut/safetensors.hpp"

namespace {

// What every accepted header promises its users: tensors tile the data section in offset order,
// each spans exactly its shape's bytes, and the data section ends where the file does.
bool keeps_its_promises(const kmlut::SafetensorsHeader& header, std::size_t file_size) {
  std::uint64_t covered = 0;
  for (const kmlut::TensorInfo& tensor : header.tensors) {
    const std::uint64_t bits = tensor.numel() * kmlut::dtype_bits(tensor.dtype);
    if (tensor.begin != covered || tensor.end < tensor.begin || tensor.nbytes() * 8 != bits) {
      return false;
    }
    if (header.find(tensor.name) == nullptr) {
      return false;
    }
    covered = tensor.end;
  }
  for (const auto& [key, value] : header.metadata) {
    if (header.metadata_value(key) == nullptr) {
      return false;
    }
  }
  return header.data_offset + covered == file_size;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const kmlut::SafetensorsHeader header = kmlut::parse_safetensors_header({data, size}, "fuzz");
    if (!keeps_its_promises(header, size)) {
      std::abort();
    }
  } catch (const kmlut::Error&) {
    // A rejected input is the expected outcome for most mutations.
  }
  return 0;
}
