#include "host/io/staged_directory.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>  // renameat2 (glibc, _GNU_SOURCE)
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <utility>

#include "kmlut/error.hpp"

namespace kmlut::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStagingPrefix = ".kmlut-staging-";

fs::path parent_of(const fs::path& path) {
  const fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

fs::path fresh_staging_path(const fs::path& destination) {
  std::random_device entropy;
  return parent_of(destination) /
         (std::string(kStagingPrefix) + std::to_string(::getpid()) + "-" +
          std::to_string(entropy()) + "-" + destination.filename().string());
}

// The process that made the staging directory `name` of `destination_name`; 0 when `name` is not
// one (another output's, or not ours at all).
pid_t staging_owner(const std::string& name, const std::string& destination_name) {
  if (name.compare(0, kStagingPrefix.size(), kStagingPrefix) != 0)
    return 0;
  std::size_t position = kStagingPrefix.size();
  const auto read_number = [&](unsigned long long& value) {
    const std::size_t start = position;
    value = 0;
    while (position < name.size() && name[position] >= '0' && name[position] <= '9' &&
           position - start < 19)
      value = value * 10 + static_cast<unsigned>(name[position++] - '0');
    return position > start && position < name.size() && name[position++] == '-';
  };
  unsigned long long pid = 0;
  unsigned long long random = 0;
  if (!read_number(pid) || !read_number(random) || name.substr(position) != destination_name)
    return 0;
  return pid > 0 && pid <= 0x7fffffffull ? static_cast<pid_t>(pid) : 0;
}

bool process_alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

// Staging directories of dead runs (killed before they could clean up) for the same destination.
void remove_stale_staging(const fs::path& destination) {
  const std::string destination_name = destination.filename().string();
  std::error_code error;
  for (fs::directory_iterator it(parent_of(destination), error), end; !error && it != end;
       it.increment(error)) {
    const pid_t owner = staging_owner(it->path().filename().string(), destination_name);
    std::error_code ignored;
    if (owner > 0 && !process_alive(owner))
      fs::remove_all(it->path(), ignored);
  }
}

void sync_to_disk(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error(path.string() + ": cannot open to flush: " + std::strerror(errno));
  const int status = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (status != 0)
    throw Error(path.string() + ": cannot flush to disk: " + std::strerror(saved));
}

void sync_tree(const fs::path& root) {
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root))
    sync_to_disk(entry.path());
  sync_to_disk(root);
}

[[noreturn]] void throw_rename_error(const fs::path& from, const fs::path& to, int error) {
  throw Error(to.string() + ": cannot move " + from.string() +
              " into place: " + std::strerror(error));
}

int rename_with_flags(const fs::path& from, const fs::path& to, unsigned flags) {
  return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags) == 0 ? 0 : errno;
}

// Renames `from` to `to`, which must not exist.
void move_without_replacing(const fs::path& from, const fs::path& to) {
  int error = rename_with_flags(from, to, RENAME_NOREPLACE);
  if (error == EINVAL) {  // a filesystem without RENAME_NOREPLACE: check, then rename
    std::error_code ignored;
    error = fs::exists(to, ignored) ? EEXIST : (std::rename(from.c_str(), to.c_str()) ? errno : 0);
  }
  if (error == EEXIST || error == ENOTEMPTY)
    throw Error(to.string() + ": already exists");
  if (error != 0)
    throw_rename_error(from, to, error);
}

// Puts `from` at `to` in place of an existing `to`; returns where the old `to` now is (to be
// removed), or nothing when there was no `to`.
std::optional<fs::path> replace(const fs::path& from, const fs::path& to) {
  const int error = rename_with_flags(from, to, RENAME_EXCHANGE);
  if (error == 0)
    return from;
  if (error == ENOENT)
    return std::nullopt;
  if (error != EINVAL)
    throw_rename_error(from, to, error);
  // No atomic exchange on this filesystem: move the old one aside first. For a moment `to` is
  // absent, but it never holds a partial directory.
  const fs::path aside = fresh_staging_path(to);
  if (std::rename(to.c_str(), aside.c_str()) != 0)
    throw_rename_error(to, aside, errno);
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    const int saved = errno;
    std::rename(aside.c_str(), to.c_str());
    throw_rename_error(from, to, saved);
  }
  return aside;
}

}  // namespace

StagedDirectory::StagedDirectory(fs::path destination) : destination_(std::move(destination)) {
  std::error_code error;
  fs::create_directories(parent_of(destination_), error);
  if (error)
    throw Error(parent_of(destination_).string() + ": cannot create: " + error.message());
  remove_stale_staging(destination_);
  staging_ = fresh_staging_path(destination_);
  if (!fs::create_directory(staging_, error) || error)
    throw Error(staging_.string() +
                ": cannot create: " + (error ? error.message() : std::string("exists")));
  guardian_.emplace(staging_);
}

StagedDirectory::~StagedDirectory() {
  std::error_code ignored;
  if (!committed_)
    fs::remove_all(staging_, ignored);
}

void StagedDirectory::commit(bool replace_existing) {
  sync_tree(staging_);
  std::optional<fs::path> old;
  if (replace_existing)
    old = replace(staging_, destination_);
  if (!old)
    move_without_replacing(staging_, destination_);
  committed_ = true;
  sync_to_disk(parent_of(destination_));
  if (old) {
    // Killed here, the old content stays under a staging name, which the next run removes.
    std::error_code ignored;
    fs::remove_all(*old, ignored);
  }
}

}  // namespace kmlut::detail
