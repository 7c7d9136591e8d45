#include "kmlut/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "kmlut/error.hpp"

namespace kmlut {

void write_file_atomically(const std::filesystem::path& path, const std::string& contents) {
  std::random_device entropy;
  const std::filesystem::path temporary =
      path.parent_path() / ("." + path.filename().string() + ".kmlut-tmp-" +
                            std::to_string(::getpid()) + "-" + std::to_string(entropy()));
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    throw Error(path.string() + ": cannot write: " + std::strerror(errno));
  const char* data = contents.data();
  std::size_t left = contents.size();
  int failure = 0;
  while (left > 0 && failure == 0) {
    const ssize_t written = ::write(fd, data, left);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      failure = errno != 0 ? errno : EIO;
    data += written > 0 ? written : 0;
    left -= written > 0 ? static_cast<std::size_t>(written) : 0;
  }
  if (failure == 0 && ::fsync(fd) != 0)
    failure = errno;
  if (::close(fd) != 0 && failure == 0)
    failure = errno;
  std::error_code error;
  if (failure == 0)
    std::filesystem::rename(temporary, path, error);
  if (failure != 0 || error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error(path.string() + ": cannot write: " +
                (failure != 0 ? std::string(std::strerror(failure)) : error.message()));
  }
}

}  // namespace kmlut
