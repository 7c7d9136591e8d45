// A file that gets its name only when it is complete (docs/format.md, "Writing files"). It is
// created unnamed (O_TMPFILE) in the directory that will hold it, or in the nearest existing
// directory above, and linked into place by place(); a process killed before then leaves nothing
// in any directory. Where the filesystem has no O_TMPFILE, it falls back to a hidden named sibling
// that the destructor removes (a SIGKILL can leave that one behind).
#pragma once

#include <filesystem>

namespace kmlut::detail {

class PendingFile {
 public:
  // Throws Error naming `path` when no file can be created.
  explicit PendingFile(std::filesystem::path path);
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  ~PendingFile();

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }

  // Flushes the data, creates the missing directories above `path` and gives the file its name,
  // replacing a file already there. Throws Error naming `path`.
  void place();

 private:
  void link_into_place();

  std::filesystem::path path_;
  std::filesystem::path named_temporary_;  // the fallback's name; empty for an unnamed file
  int fd_ = -1;
  bool placed_ = false;
};

}  // namespace kmlut::detail
