// The CPU grid executor: runs a kernel body (kernels/bodies/) as the device would, one real thread
// per CUDA thread of a block, meeting at a reusable barrier where the device has __syncthreads.
// Blocks run one after another on the same threads. Shared memory starts filled with a garbage
// pattern and keeps what the previous block left, as a CUDA block's is uninitialised, so a body
// that reads shared memory it did not write gives wrong answers here too.
#pragma once

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace kmlut::testing_support {

// A reusable barrier for a fixed number of threads (C++17 has no std::barrier). Waiters sleep
// (spinning or yielding would hand the few cores to busy neighbours for a whole time slice).
class Barrier {
 public:
  explicit Barrier(unsigned count) : count_(count) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    const unsigned generation = generation_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++generation_;
      lock.unlock();
      released_.notify_all();
    } else {
      released_.wait(lock, [&] { return generation != generation_; });
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  const unsigned count_;
  unsigned arrived_ = 0;
  unsigned generation_ = 0;
};

// The grid position and block barrier of one CPU thread: kernels/grid/device_thread.cuh's four
// functions.
class CpuThread {
 public:
  CpuThread(unsigned thread, unsigned threads, Barrier& barrier)
      : thread_(thread), threads_(threads), barrier_(barrier) {}
  unsigned block() const { return block_; }
  unsigned thread() const { return thread_; }
  unsigned threads() const { return threads_; }
  void sync() const { barrier_.arrive_and_wait(); }
  void enter_block(unsigned block) { block_ = block; }

 private:
  unsigned block_ = 0;
  unsigned thread_;
  unsigned threads_;
  Barrier& barrier_;
};

// Runs body(const CpuThread&, Shared&) for every thread of `blocks` blocks of `threads` threads.
// Shared must be trivially constructible, as __shared__ storage is.
template <class Shared, class Body>
void run_grid(unsigned blocks, unsigned threads, Body&& body) {
  static_assert(std::is_trivially_default_constructible<Shared>::value,
                "shared memory holds trivial types");
  auto shared = std::make_unique<Shared>();
  Barrier barrier(threads);
  std::memset(static_cast<void*>(shared.get()), 0xA5, sizeof(Shared));
  const auto run_thread = [&](unsigned t) {
    CpuThread at(t, threads, barrier);
    for (unsigned b = 0; b < blocks; ++b) {
      at.enter_block(b);
      body(static_cast<const CpuThread&>(at), *shared);
      at.sync();  // the next block reuses the shared memory once every thread has left this one
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(run_thread, t);
  run_thread(0);
  for (std::thread& thread : pool)
    thread.join();
}

}  // namespace kmlut::testing_support
