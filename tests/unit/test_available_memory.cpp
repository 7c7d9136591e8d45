// The memory budget's view of free memory, read from fake /proc and /sys trees: MemAvailable,
// lowered by a cgroup v2 or v1 limit minus usage (without reclaimable inactive file cache), for
// the process's own cgroup and every ancestor.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "host/pipeline/available_memory.hpp"

namespace kmlut {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

class AvailableMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("kmlut-available-memory-" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& relative, const std::string& text) {
    const fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  void mem_available_mib(std::uint64_t mib) {
    write("proc/meminfo",
          "MemTotal:       99999999 kB\nMemFree:          1000 kB\n"
          "MemAvailable:   " +
              std::to_string(mib * 1024) + " kB\n");
  }

  fs::path root_;
};

TEST_F(AvailableMemory, WithoutCgroupFilesItIsMemAvailable) {
  mem_available_mib(8192);
  write("proc/self/cgroup", "0::/\n");
  EXPECT_EQ(available_memory(root_), 8192 * kMiB);
}

TEST_F(AvailableMemory, NothingReadableIsZero) {
  EXPECT_EQ(available_memory(root_), 0u);
}

TEST_F(AvailableMemory, V2LimitMinusUsageWithoutInactiveFileCache) {
  mem_available_mib(8192);
  write("proc/self/cgroup", "0::/job\n");
  write("sys/fs/cgroup/job/memory.max", std::to_string(1024 * kMiB) + "\n");
  write("sys/fs/cgroup/job/memory.current", std::to_string(600 * kMiB) + "\n");
  write("sys/fs/cgroup/job/memory.stat",
        "anon 1\nfile 2\nactive_file 3\ninactive_file " + std::to_string(100 * kMiB) + "\n");
  EXPECT_EQ(available_memory(root_), (1024 - 500) * kMiB);
}

TEST_F(AvailableMemory, V2WithoutLimitIsMemAvailable) {
  mem_available_mib(4096);
  write("proc/self/cgroup", "0::/job\n");
  write("sys/fs/cgroup/job/memory.max", "max\n");
  write("sys/fs/cgroup/job/memory.current", std::to_string(600 * kMiB) + "\n");
  EXPECT_EQ(available_memory(root_), 4096 * kMiB);
}

TEST_F(AvailableMemory, V2AncestorLimitCounts) {
  mem_available_mib(8192);
  write("proc/self/cgroup", "0::/slice/job\n");
  write("sys/fs/cgroup/slice/job/memory.max", "max\n");
  write("sys/fs/cgroup/slice/job/memory.current", std::to_string(100 * kMiB));
  write("sys/fs/cgroup/slice/memory.max", std::to_string(2048 * kMiB));
  write("sys/fs/cgroup/slice/memory.current", std::to_string(1500 * kMiB));
  EXPECT_EQ(available_memory(root_), 548 * kMiB);
}

TEST_F(AvailableMemory, MemAvailableBelowTheCgroupHeadroomWins) {
  mem_available_mib(300);
  write("proc/self/cgroup", "0::/\n");
  write("sys/fs/cgroup/memory.max", std::to_string(4096 * kMiB));
  write("sys/fs/cgroup/memory.current", std::to_string(1024 * kMiB));
  EXPECT_EQ(available_memory(root_), 300 * kMiB);
}

TEST_F(AvailableMemory, V2PathOfTheHostsViewFallsBackToTheMountRoot) {
  mem_available_mib(8192);
  write("proc/self/cgroup", "0::/../../host/slice\n");
  write("sys/fs/cgroup/memory.max", std::to_string(512 * kMiB));
  write("sys/fs/cgroup/memory.current", std::to_string(200 * kMiB));
  EXPECT_EQ(available_memory(root_), 312 * kMiB);
}

TEST_F(AvailableMemory, V1MemoryControllerLimitMinusUsage) {
  mem_available_mib(8192);
  write("proc/self/cgroup", "5:cpu,cpuacct:/other\n4:memory:/docker/abc\n0::/\n");
  write("sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", std::to_string(3072 * kMiB));
  write("sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes", std::to_string(1024 * kMiB));
  write("sys/fs/cgroup/memory/docker/abc/memory.stat",
        "cache 5\ninactive_file 1\ntotal_inactive_file " + std::to_string(24 * kMiB) + "\n");
  // v1's "no limit" is a huge number, which the minimum ignores by itself.
  write("sys/fs/cgroup/memory/docker/memory.limit_in_bytes", "9223372036854771712\n");
  write("sys/fs/cgroup/memory/docker/memory.usage_in_bytes", std::to_string(4096 * kMiB));
  EXPECT_EQ(available_memory(root_), (3072 - 1000) * kMiB);
}

TEST_F(AvailableMemory, V1ControllerListedWithOthers) {
  mem_available_mib(8192);
  write("proc/self/cgroup", "7:memory,hugetlb:/job\n");
  write("sys/fs/cgroup/memory/job/memory.limit_in_bytes", std::to_string(256 * kMiB));
  write("sys/fs/cgroup/memory/job/memory.usage_in_bytes", std::to_string(56 * kMiB));
  EXPECT_EQ(available_memory(root_), 200 * kMiB);
}

TEST_F(AvailableMemory, UsageAboveTheLimitLeavesNothing) {
  mem_available_mib(8192);
  write("proc/self/cgroup", "0::/\n");
  write("sys/fs/cgroup/memory.max", std::to_string(512 * kMiB));
  write("sys/fs/cgroup/memory.current", std::to_string(600 * kMiB));
  EXPECT_EQ(available_memory(root_), 0u);
}

}  // namespace
}  // namespace kmlut
