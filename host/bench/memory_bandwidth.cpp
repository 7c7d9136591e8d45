#include "host/bench/memory_bandwidth.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace kmlut::bench {
namespace {

// Four independent accumulators so the loop is bound by loads, not by one add chain.
std::uint64_t sum_words(const std::uint64_t* words, std::size_t count) {
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
  std::size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    a += words[i];
    b += words[i + 1];
    c += words[i + 2];
    d += words[i + 3];
  }
  for (; i < count; ++i)
    a += words[i];
  return a + b + c + d;
}

}  // namespace

ReadBandwidth measure_read_bandwidth(std::uint64_t probe_bytes, unsigned threads, int passes) {
  threads = std::max(1u, threads);
  const std::size_t words = probe_bytes / sizeof(std::uint64_t);
  // Written once, so every page is backed by memory before the timed passes.
  std::vector<std::uint64_t> buffer(words);
  for (std::size_t i = 0; i < words; ++i)
    buffer[i] = i;
  // The sums feed an atomic, so the compiler cannot drop the reads.
  std::atomic<std::uint64_t> sink{0};
  double best = 0;
  for (int pass = 0; pass < passes; ++pass) {
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    const std::size_t slice = (words + threads - 1) / threads;
    for (unsigned t = 0; t < threads; ++t) {
      const std::size_t begin = std::min(words, t * slice);
      const std::size_t end = std::min(words, begin + slice);
      pool.emplace_back([&, begin, end] { sink += sum_words(buffer.data() + begin, end - begin); });
    }
    for (std::thread& thread : pool)
      thread.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    best = std::max(best, static_cast<double>(words * sizeof(std::uint64_t)) / seconds);
  }
  return {best, words * sizeof(std::uint64_t), threads, passes};
}

}  // namespace kmlut::bench
