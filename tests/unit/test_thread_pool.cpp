// The CPU backend's persistent thread pool: every task runs exactly once per loop, worker ids
// index per-thread scratch, failures come back to the caller, and the pool survives them.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "host/backends/cpu/thread_pool.hpp"

namespace kmlut::cpu {
namespace {

TEST(ThreadPool, RunsEveryTaskOnceInManyConsecutiveLoops) {
  ThreadPool pool(4);
  ASSERT_EQ(pool.size(), 4u);
  for (std::size_t tasks : {0, 1, 2, 3, 7, 64, 1000}) {
    std::vector<std::atomic<int>> runs(tasks);
    pool.run(tasks, [&](unsigned, std::size_t task) { ++runs[task]; });
    for (std::size_t task = 0; task < tasks; ++task)
      EXPECT_EQ(runs[task].load(), 1) << tasks << " tasks, task " << task;
  }
}

TEST(ThreadPool, WorkerIdsAreBelowSizeAndDistinctPerThread) {
  ThreadPool pool(3);
  std::mutex mutex;
  std::set<std::pair<unsigned, std::thread::id>> seen;
  pool.run(300, [&](unsigned worker, std::size_t) {
    EXPECT_LT(worker, pool.size());
    std::lock_guard<std::mutex> lock(mutex);
    seen.insert({worker, std::this_thread::get_id()});
  });
  std::set<unsigned> workers;
  std::set<std::thread::id> threads;
  for (const auto& [worker, thread] : seen) {
    workers.insert(worker);
    threads.insert(thread);
  }
  // One id per thread: two threads never share a worker's scratch.
  EXPECT_EQ(workers.size(), seen.size());
  EXPECT_EQ(threads.size(), seen.size());
}

TEST(ThreadPool, RethrowsTheFailureAndStaysUsable) {
  ThreadPool pool(4);
  EXPECT_THROW(pool.run(100,
                        [](unsigned, std::size_t task) {
                          if (task == 42)
                            throw std::runtime_error("task 42");
                        }),
               std::runtime_error);
  std::atomic<std::size_t> sum{0};
  pool.run(100, [&](unsigned, std::size_t task) { sum += task; });
  EXPECT_EQ(sum.load(), 4950u);
}

TEST(ThreadPool, NestedRunCompletesOnTheCallingThread) {
  ThreadPool pool(2);
  std::atomic<int> inner{0};
  pool.run(4, [&](unsigned, std::size_t) {
    pool.run(3, [&](unsigned worker, std::size_t) {
      EXPECT_EQ(worker, 0u);
      ++inner;
    });
  });
  EXPECT_EQ(inner.load(), 12);
}

TEST(ThreadPool, OneThreadRunsOnTheCaller) {
  ThreadPool pool(1);
  const std::thread::id caller = std::this_thread::get_id();
  pool.run(5, [&](unsigned worker, std::size_t) {
    EXPECT_EQ(worker, 0u);
    EXPECT_EQ(std::this_thread::get_id(), caller);
  });
}

}  // namespace
}  // namespace kmlut::cpu
