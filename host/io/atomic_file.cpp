#include "kmlut/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "host/io/pending_file.hpp"
#include "kmlut/error.hpp"

namespace kmlut {

void write_file_atomically(const std::filesystem::path& path, const std::string& contents) {
  detail::PendingFile file(path);
  const char* data = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t written = ::write(file.fd(), data, left);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      throw Error(path.string() + ": cannot write: " + std::strerror(errno != 0 ? errno : EIO));
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  file.place();
}

}  // namespace kmlut
