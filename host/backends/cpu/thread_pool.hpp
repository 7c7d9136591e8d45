// A fixed set of worker threads that lives as long as its owner (the CPU backend), so that a
// parallel loop costs a wake-up instead of a thread start: Lloyd's k-means runs several loops per
// iteration. Tasks are handed out dynamically, but each task writes only its own outputs, so
// results do not depend on the thread count or the schedule.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kmlut::cpu {

class ThreadPool {
 public:
  // body(worker, task); `worker` in [0, size()) lets the body use per-thread scratch.
  using Body = std::function<void(unsigned worker, std::size_t task)>;

  // Starts threads - 1 workers: the thread that calls run() is worker 0.
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Calls body for every task in [0, tasks) and returns when all are done. The first exception
  // is rethrown after every worker has stopped. Calls from several threads take turns; a call
  // from inside a task runs its tasks serially on that thread instead of waiting on itself.
  void run(std::size_t tasks, const Body& body);

 private:
  void worker_loop(unsigned worker);
  void work(unsigned worker);

  std::mutex run_mutex_;  // one loop at a time
  std::mutex mutex_;      // guards the fields below and the start and end of a loop
  std::condition_variable start_;
  std::condition_variable finished_;
  std::uint64_t generation_ = 0;  // counts loops, so that a worker joins each loop once
  unsigned active_ = 0;           // workers still inside the current loop
  bool stopping_ = false;
  const Body* body_ = nullptr;
  std::size_t tasks_ = 0;
  std::atomic<std::size_t> next_{0};
  std::exception_ptr failure_;
  std::vector<std::thread> workers_;
};

}  // namespace kmlut::cpu
