#include "host/io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "kmlut/error.hpp"

namespace kmlut {
namespace {

[[noreturn]] void throw_errno(const std::filesystem::path& path, const char* action, int error) {
  throw InputError(path.string() + ": cannot " + action + ": " + std::strerror(error));
}

// Closes the descriptor on every exit path; the mapping stays valid after close.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { ::close(fd_); }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

MappedFile MappedFile::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(path, "open", errno);
  }
  const FileDescriptor file(fd);

  struct stat info {};
  if (::fstat(file.get(), &info) != 0) {
    throw_errno(path, "stat", errno);
  }
  if (S_ISDIR(info.st_mode)) {
    throw InputError(path.string() + ": is a directory, not a file");
  }
  if (!S_ISREG(info.st_mode)) {
    throw InputError(path.string() + ": not a regular file");
  }

  MappedFile mapped;
  mapped.size_ = static_cast<std::size_t>(info.st_size);
  // mmap rejects a zero length, and an empty file has nothing to map.
  if (mapped.size_ == 0) {
    return mapped;
  }
  void* address = ::mmap(nullptr, mapped.size_, PROT_READ, MAP_PRIVATE, file.get(), 0);
  if (address == MAP_FAILED) {
    throw_errno(path, "map", errno);
  }
  mapped.data_ = static_cast<const std::uint8_t*>(address);
  return mapped;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    MappedFile old(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) {
    ::munmap(const_cast<std::uint8_t*>(data_), size_);
  }
}

void MappedFile::release(std::size_t offset, std::size_t size) const {
  // Only whole pages inside the range: a page shared with a neighbouring tensor stays.
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t begin = (offset + page - 1) / page * page;
  const std::size_t end = std::min(offset + size, size_) / page * page;
  if (data_ == nullptr || end <= begin)
    return;
  ::madvise(const_cast<std::uint8_t*>(data_) + begin, end - begin, MADV_DONTNEED);
}

}  // namespace kmlut
