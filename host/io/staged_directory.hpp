// A directory written under a hidden name next to its destination and renamed into place when
// complete, so that the destination holds either its old content or the whole new one.
#pragma once

#include <filesystem>
#include <optional>

#include "host/io/removal_guardian.hpp"

namespace kmlut::detail {

class StagedDirectory {
 public:
  // Creates the staging directory next to `destination` (creating the parent when missing), after
  // removing stale staging directories of the same destination whose process has died.
  explicit StagedDirectory(std::filesystem::path destination);
  // Removes the staging directory unless committed.
  ~StagedDirectory();
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  const std::filesystem::path& path() const { return staging_; }

  // Flushes every file and directory of the staging tree to disk, then renames it to the
  // destination. With `replace` an existing destination is exchanged atomically with it and then
  // removed; without, an existing destination is an Error and is left alone.
  void commit(bool replace);

 private:
  std::filesystem::path destination_;
  std::filesystem::path staging_;
  // Removes the staging directory (or, after an exchange, the old content parked under its name)
  // even when this process is killed before its destructor can.
  std::optional<RemovalGuardian> guardian_;
  bool committed_ = false;
};

}  // namespace kmlut::detail
