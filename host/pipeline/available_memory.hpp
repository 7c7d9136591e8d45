// How much memory this process may still use: the kernel's MemAvailable, lowered to the headroom
// of every memory cgroup (v2 or v1) the process sits in, since a container's limit is invisible
// in /proc/meminfo and exceeding it gets the process killed rather than swapped.
#pragma once

#include <cstdint>
#include <filesystem>

namespace kmlut {

// Bytes available: min(MemAvailable, limit - usage of the process's memory cgroup and each of its
// ancestors), where usage leaves out the inactive file cache the kernel reclaims before it
// enforces a limit. Reads <root>/proc/meminfo, <root>/proc/self/cgroup and the cgroup files under
// <root>/sys/fs/cgroup; `root` exists for tests. 0 when nothing could be read.
std::uint64_t available_memory(const std::filesystem::path& root = "/");

}  // namespace kmlut
