#include "host/io/removal_guardian.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <string>

extern char** environ;

namespace kmlut::detail {
namespace {

// The watcher is a shell, started with posix_spawn (safe in a process with threads, unlike fork):
// it ignores the terminal's signals and runs in its own process group, so a Ctrl-C that stops the
// owner does not stop it; `cat` returns when the pipe on its stdin closes.
constexpr const char* kWatcherScript =
    "trap '' INT HUP TERM; cat >/dev/null; exec rm -rf -- \"$0\"";

bool spawn_watcher(const std::filesystem::path& path, int pipe_read_end) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  if (posix_spawn_file_actions_init(&actions) != 0)
    return false;
  if (posix_spawnattr_init(&attributes) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return false;
  }
  posix_spawn_file_actions_adddup2(&actions, pipe_read_end, STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string script = kWatcherScript;
  std::string target = path.string();
  char* argv[] = {shell.data(), dash_c.data(), script.data(), target.data(), nullptr};
  pid_t pid = 0;
  const bool started = posix_spawn(&pid, shell.c_str(), &actions, &attributes, argv, environ) == 0;
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  return started;
}

}  // namespace

RemovalGuardian::RemovalGuardian(const std::filesystem::path& path) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0)
    return;
  if (spawn_watcher(path, ends[0])) {
    pipe_write_end_ = ends[1];
  } else {
    ::close(ends[1]);
  }
  ::close(ends[0]);
}

RemovalGuardian::~RemovalGuardian() {
  if (pipe_write_end_ >= 0)
    ::close(pipe_write_end_);
}

}  // namespace kmlut::detail
