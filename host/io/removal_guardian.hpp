// A watcher process that removes a path once its owner is done with it or has died, so that a
// SIGKILL cannot leave a half-written directory behind (a destructor never runs then).
#pragma once

#include <filesystem>

namespace kmlut::detail {

class RemovalGuardian {
 public:
  // Starts the watcher for `path`. It waits on a pipe whose write end only this process holds and
  // removes `path` when the pipe closes: at destruction, or when the kernel closes it because the
  // process died. Best effort: where no watcher can be started, stale paths are left to the next
  // run's cleanup (StagedDirectory removes those of dead processes).
  explicit RemovalGuardian(const std::filesystem::path& path);
  // Closes the pipe: the watcher removes `path` if it still exists, then exits.
  ~RemovalGuardian();
  RemovalGuardian(const RemovalGuardian&) = delete;
  RemovalGuardian& operator=(const RemovalGuardian&) = delete;

 private:
  int pipe_write_end_ = -1;
};

}  // namespace kmlut::detail
