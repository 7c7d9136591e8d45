#include "host/io/pending_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include "kmlut/error.hpp"

namespace kmlut::detail {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const fs::path& path, const std::string& what, int error) {
  throw Error(path.string() + ": " + what + ": " + std::strerror(error));
}

// A unique sibling of `path`, so concurrent runs never collide.
fs::path hidden_sibling(const fs::path& path) {
  std::random_device entropy;
  const std::string suffix = std::to_string(::getpid()) + "-" + std::to_string(entropy());
  return path.parent_path() / ("." + path.filename().string() + ".kmlut-tmp-" + suffix);
}

// The directory `path` will be in, or the nearest one above it that exists.
fs::path nearest_existing_directory(const fs::path& path) {
  fs::path directory = fs::absolute(path).parent_path();
  std::error_code error;
  while (!fs::is_directory(directory, error) && directory.has_relative_path())
    directory = directory.parent_path();
  return directory;
}

void create_parent(const fs::path& path) {
  const fs::path parent = path.parent_path();
  if (parent.empty())
    return;
  std::error_code error;
  fs::create_directories(parent, error);
  if (error)
    throw Error(parent.string() + ": cannot create directory: " + error.message());
}

// Gives the unnamed file `fd` the name `target`; false with errno EEXIST when it is taken.
bool link_unnamed(int fd, const fs::path& target) {
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW) == 0)
    return true;
  if (errno == EEXIST)
    return false;
  // Without /proc, AT_EMPTY_PATH links the descriptor itself (it needs CAP_DAC_READ_SEARCH).
  return ::linkat(fd, "", AT_FDCWD, target.c_str(), AT_EMPTY_PATH) == 0;
}

}  // namespace

PendingFile::PendingFile(fs::path path) : path_(std::move(path)) {
  fd_ = ::open(nearest_existing_directory(path_).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd_ >= 0)
    return;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
    fail(path_, "cannot create", errno);
  // No O_TMPFILE on this filesystem: a named temporary beside the target.
  create_parent(path_);
  named_temporary_ = hidden_sibling(path_);
  fd_ = ::open(named_temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0)
    fail(named_temporary_, "cannot create", errno);
}

PendingFile::~PendingFile() {
  if (fd_ >= 0)
    ::close(fd_);
  if (!placed_ && !named_temporary_.empty()) {
    std::error_code ignored;
    fs::remove(named_temporary_, ignored);
  }
}

void PendingFile::place() {
  if (::fsync(fd_) != 0)
    fail(path_, "cannot flush", errno);
  create_parent(path_);
  link_into_place();
  placed_ = true;
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    fail(path_, "cannot close", errno);
}

void PendingFile::link_into_place() {
  std::error_code error;
  if (!named_temporary_.empty()) {
    fs::rename(named_temporary_, path_, error);
    if (error)
      throw Error(path_.string() + ": cannot rename into place: " + error.message());
    return;
  }
  if (link_unnamed(fd_, path_))
    return;
  if (errno != EEXIST)
    fail(path_, "cannot link into place", errno);
  // Replacing a file: link under a hidden name, then rename over it, which is atomic. Only a kill
  // between these two steps leaves the hidden name behind.
  const fs::path sibling = hidden_sibling(path_);
  if (!link_unnamed(fd_, sibling))
    fail(path_, "cannot link into place", errno);
  fs::rename(sibling, path_, error);
  if (error) {
    std::error_code ignored;
    fs::remove(sibling, ignored);
    throw Error(path_.string() + ": cannot rename into place: " + error.message());
  }
}

}  // namespace kmlut::detail
