#include "host/backends/cpu/thread_pool.hpp"

namespace kmlut::cpu {
namespace {

// Set on every thread while it runs tasks of a pool, so that a nested run() does not deadlock.
thread_local bool inside_task = false;

void run_serially(std::size_t tasks, const ThreadPool::Body& body) {
  for (std::size_t task = 0; task < tasks; ++task)
    body(0u, task);
}

}  // namespace

ThreadPool::ThreadPool(unsigned threads) {
  for (unsigned worker = 1; worker < threads; ++worker)
    workers_.emplace_back([this, worker] { worker_loop(worker); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  start_.notify_all();
  for (std::thread& thread : workers_)
    thread.join();
}

void ThreadPool::run(std::size_t tasks, const Body& body) {
  if (workers_.empty() || tasks <= 1 || inside_task) {
    run_serially(tasks, body);
    return;
  }
  std::lock_guard<std::mutex> turn(run_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    tasks_ = tasks;
    next_ = 0;
    failure_ = nullptr;
    active_ = static_cast<unsigned>(workers_.size());
    ++generation_;
  }
  start_.notify_all();
  work(0);
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [this] { return active_ == 0; });
  body_ = nullptr;
  if (failure_)
    std::rethrow_exception(failure_);
}

void ThreadPool::worker_loop(unsigned worker) {
  std::uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_)
        return;
      seen = generation_;
    }
    work(worker);
    std::lock_guard<std::mutex> lock(mutex_);
    if (--active_ == 0)
      finished_.notify_one();
  }
}

void ThreadPool::work(unsigned worker) {
  inside_task = true;
  for (std::size_t task = next_++; task < tasks_; task = next_++) {
    try {
      (*body_)(worker, task);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_)
        failure_ = std::current_exception();
      next_ = tasks_;  // stop handing out work
    }
  }
  inside_task = false;
}

}  // namespace kmlut::cpu
