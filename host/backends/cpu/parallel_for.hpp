// A minimal deterministic parallel loop: tasks are handed out dynamically, but each task writes
// only its own outputs, so results do not depend on the thread count or the schedule.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace kmlut::cpu {

// Calls body(worker, task) for every task in [0, tasks) on `threads` threads; `worker` in
// [0, threads) lets the body use per-thread scratch. The first exception is rethrown after all
// threads stop.
template <class Body>
void parallel_for(std::size_t tasks, unsigned threads, Body&& body) {
  if (threads <= 1 || tasks <= 1) {
    for (std::size_t task = 0; task < tasks; ++task)
      body(0u, task);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&](unsigned worker) {
    for (std::size_t task = next++; task < tasks; task = next++) {
      try {
        body(worker, task);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure)
          failure = std::current_exception();
        next = tasks;  // stop handing out work
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned worker = 1; worker < threads; ++worker)
    pool.emplace_back(work, worker);
  work(0);
  for (std::thread& thread : pool)
    thread.join();
  if (failure)
    std::rethrow_exception(failure);
}

}  // namespace kmlut::cpu
