#include "host/pipeline/available_memory.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace kmlut {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kUnknown = std::numeric_limits<std::uint64_t>::max();

// The first whitespace-separated number of a file such as memory.max; none for "max" (no limit)
// or a missing file.
std::optional<std::uint64_t> read_number(const fs::path& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoull(text);
}

// The value of "key value" in a file such as /proc/meminfo or memory.stat, times `unit`.
std::optional<std::uint64_t> read_field(const fs::path& path, const std::string& key,
                                        std::uint64_t unit) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    std::uint64_t value = 0;
    if (fields >> name >> value && name == key)
      return value * unit;
  }
  return std::nullopt;
}

// Where one cgroup hierarchy is mounted and which files of it say limit, usage and reclaimable
// cache.
struct Hierarchy {
  fs::path mount;
  std::string limit_file;
  std::string usage_file;
  std::string inactive_file_key;
};

// The process's path inside the hierarchy whose /proc/self/cgroup line matches: "0::/path" for
// v2, "N:a,memory,b:/path" for v1's memory controller.
std::optional<std::string> cgroup_path(const fs::path& root, bool v2) {
  std::ifstream in(root / "proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t first = line.find(':');
    const std::size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos)
      continue;
    const std::string controllers = "," + line.substr(first + 1, second - first - 1) + ",";
    const bool matches =
        v2 ? line.compare(0, second, "0:") == 0 : controllers.find(",memory,") != std::string::npos;
    if (matches)
      return line.substr(second + 1);
  }
  return std::nullopt;
}

// The process's cgroup directory under the mount. Inside a container the path in
// /proc/self/cgroup may name the host's view (missing here, or with ".." under a cgroup
// namespace); then the mount's root, which is the container's own cgroup, is the one that counts.
fs::path own_directory(const fs::path& mount, const std::string& path) {
  fs::path directory = mount;
  for (const fs::path& element : fs::path(path).relative_path()) {
    if (element == ".." || element == ".")
      return mount;
    if (!element.empty())
      directory /= element;
  }
  std::error_code error;
  return fs::is_directory(directory, error) ? directory : mount;
}

// The least headroom of the process's cgroup and its ancestors up to the mount in one hierarchy.
std::uint64_t headroom(const Hierarchy& hierarchy, const std::string& path) {
  std::uint64_t least = kUnknown;
  fs::path directory = own_directory(hierarchy.mount, path);
  for (;;) {
    const std::optional<std::uint64_t> limit = read_number(directory / hierarchy.limit_file);
    const std::optional<std::uint64_t> usage = read_number(directory / hierarchy.usage_file);
    if (limit && usage) {
      const std::uint64_t cache =
          read_field(directory / "memory.stat", hierarchy.inactive_file_key, 1).value_or(0);
      const std::uint64_t used = *usage - std::min(*usage, cache);
      least = std::min(least, *limit - std::min(*limit, used));
    }
    if (directory == hierarchy.mount)
      return least;
    directory = directory.parent_path();
  }
}

}  // namespace

std::uint64_t available_memory(const fs::path& root) {
  std::uint64_t available =
      read_field(root / "proc/meminfo", "MemAvailable:", 1024).value_or(kUnknown);
  const fs::path cgroups = root / "sys/fs/cgroup";
  const Hierarchy v2{cgroups, "memory.max", "memory.current", "inactive_file"};
  const Hierarchy v1{cgroups / "memory", "memory.limit_in_bytes", "memory.usage_in_bytes",
                     "total_inactive_file"};
  if (const std::optional<std::string> path = cgroup_path(root, true))
    available = std::min(available, headroom(v2, *path));
  if (const std::optional<std::string> path = cgroup_path(root, false))
    available = std::min(available, headroom(v1, *path));
  return available == kUnknown ? 0 : available;
}

}  // namespace kmlut
