// The CPU grid executor: runs a kernel body (kernels/bodies/) as the device would, one real thread
// per CUDA thread of a block, meeting at a reusable barrier where the device has __syncthreads.
// Blocks run one after another on the same threads. Shared memory starts filled with a garbage
// pattern and keeps what the previous block left, as a CUDA block's is uninitialised, so a body
// that reads shared memory it did not write gives wrong answers here too.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace kmlut::testing_support {

// A reusable barrier for a fixed number of threads (C++17 has no std::barrier). Arrivals count
// atomically; a waiter yields a while before it sleeps, and the last arrival wakes the sleepers:
// with hundreds of threads on a few cores, a mutex taken by every arrival would serialise them.
class Barrier {
 public:
  explicit Barrier(unsigned count) : count_(count) {}
  void arrive_and_wait() {
    const unsigned generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == count_) {
      arrived_.store(0, std::memory_order_relaxed);
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.store(generation + 1, std::memory_order_release);
      released_.notify_all();
      return;
    }
    for (int spin = 0; spin < kYields; ++spin) {
      if (generation_.load(std::memory_order_acquire) != generation)
        return;
      std::this_thread::yield();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    released_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != generation; });
  }

 private:
  static constexpr int kYields = 64;
  std::mutex mutex_;
  std::condition_variable released_;
  const unsigned count_;
  std::atomic<unsigned> arrived_{0};
  std::atomic<unsigned> generation_{0};
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

// Shared memory of a runtime size (a kernel's dynamic shared memory), for run_grid.
template <std::size_t kBytes>
struct DynamicShared {
  alignas(16) unsigned char bytes[kBytes];
};

}  // namespace kmlut::testing_support
