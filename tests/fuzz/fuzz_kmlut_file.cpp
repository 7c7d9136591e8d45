// libFuzzer target for reading kmlut v1 files: the input is a whole safetensors file, whose
// "kmlut.tensors" entry and parts are checked and every entry reconstructed, as kmlut decode does.
// Rejections must be kmlut::Error; any other exception, a sanitizer report, or an accepted entry
// that fails to reconstruct or reconstructs to the wrong size crashes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "kmlut/checkpoint.hpp"
#include "kmlut/decode.hpp"
#include "kmlut/error.hpp"

namespace {

// One in-memory file, rewritten for each input, opened through its /proc path.
class MemoryFile {
 public:
  MemoryFile() : fd_(::memfd_create("kmlut-fuzz", 0)) {
    if (fd_ < 0)
      std::abort();
  }

  std::string hold(const std::uint8_t* data, std::size_t size) const {
    if (::ftruncate(fd_, 0) != 0 || (size > 0 && ::pwrite(fd_, data, size, 0) != ssize_t(size)))
      std::abort();
    return "/proc/self/fd/" + std::to_string(fd_);
  }

 private:
  int fd_;
};

void reconstruct_every_entry(const kmlut::Checkpoint& checkpoint) {
  const kmlut::KmlutIndex index(checkpoint);
  for (const kmlut::KmlutIndex::Entry& entry : index.entries()) {
    // Accepted entries are consistent: reconstruction must neither throw nor mis-size.
    std::uint64_t numel = 1;
    for (std::int64_t dim : entry.info.shape)
      numel *= static_cast<std::uint64_t>(dim);
    try {
      const std::vector<std::uint8_t> dense = index.reconstruct(entry);
      if (dense.size() != numel * kmlut::dtype_bits(entry.info.dtype) / 8)
        std::abort();
    } catch (...) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const MemoryFile file;
  try {
    reconstruct_every_entry(kmlut::Checkpoint::open(file.hold(data, size)));
  } catch (const kmlut::Error&) {
    // A rejected file is the expected outcome for most mutations.
  }
  return 0;
}
