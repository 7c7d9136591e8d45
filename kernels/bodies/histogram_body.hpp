// The histogram phase (kernels/pattern_histogram.cu launches it; the CPU grid executor runs it in
// the tests): every chunk of every problem (one grid block each) adds its elements' 16-bit
// pattern keys to the problem's 65,536-bin histogram in device memory.
//
// A chunk large enough to pay for it counts privately, in shared memory small enough for several
// blocks per SM (34 KiB; docs/cuda-backend.md has the occupancy estimate), in two passes:
//  1. count the chunk's keys by high byte (256 counters);
//  2. give the kHotHighBytes most frequent high bytes a slot of 256 private 16-bit counters (a
//     chunk has fewer than 65,536 elements, so they cannot overflow) and count again: a key of a
//     hot high byte goes to its slot, any other key straight to device memory.
// The slots' non-empty counters are then added with one global atomic each. A small chunk adds
// every key straight to device memory. Every count is an integer sum, so the histogram does not
// depend on which keys were private nor on the order of the additions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/bodies/float_format_dispatch.hpp"
#include "kernels/grid/grid_atomics.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/numeric/half_pattern_keys.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

// 512 threads and HistogramShared's 34 KiB: three blocks per SM, bounded by registers (an estimate
// from ptxas's count, docs/cuda-backend.md).
constexpr unsigned kHistogramThreads = 512;
constexpr std::uint32_t kHighBytes = 256;
constexpr std::uint32_t kKeysPerHighByte = numeric::kPatternKeys / kHighBytes;
// 64 of 256 high bytes: a quarter of the key space, which holds most of a weight tensor's values
// (a high byte spans a quarter of an fp16 exponent, or two bf16 exponents).
constexpr std::uint32_t kHotHighBytes = 64;
constexpr std::uint32_t kNoSlot = kHotHighBytes;
// Two 16-bit counters per word.
constexpr std::uint32_t kHotCounterWords = kHotHighBytes * kKeysPerHighByte / 2;
// Below this many elements zeroing, ranking and flushing the private counters costs more than
// it saves.
constexpr std::uint64_t kPrivateChunkElements = 8192;

struct HistogramShared {
  std::uint32_t high_byte_counts[kHighBytes];
  std::uint32_t slot_of_high_byte[kHighBytes];     // kNoSlot: counted in device memory
  std::uint32_t high_byte_of_slot[kHotHighBytes];  // read only for a slot with counts
  std::uint32_t hot_counts[kHotCounterWords];
};

// Calls count_key(key) for each of the thread's elements of the chunk; returns the request
// status flags its elements raise.
template <class Format, class Thread, class CountKey>
KMLUT_HD std::uint32_t for_each_chunk_key(const Thread& at, const DeviceRequest& request,
                                          const DeviceProblem& problem, const HistogramChunk& chunk,
                                          CountKey&& count_key) {
  const auto* values = static_cast<const typename Format::Storage*>(request.values);
  bool finite = true;
  bool in_range = true;
  for (std::uint64_t t = chunk.begin + at.thread(); t < chunk.end; t += at.threads()) {
    const auto value = values[element_of_block(request, problem.block, t)];
    finite = finite && Format::is_finite(value);
    in_range = in_range && Format::in_half_range(value);
    count_key(numeric::pattern_key(Format::histogram_pattern(value)));
  }
  // fp16's range matters in fast mode only (the all-values path clusters any finite value).
  const bool fast_mode = request.rounding_table != nullptr;
  return (finite ? 0u : kNonFinite) | (in_range || !fast_mode ? 0u : kOutsideHalfRange);
}

// Slot r goes to the high byte of rank r by (count descending, high byte ascending); empty high
// bytes get none.
template <class Thread>
KMLUT_HD void assign_hot_slots(const Thread& at, HistogramShared& shared) {
  for (std::uint32_t high = at.thread(); high < kHighBytes; high += at.threads()) {
    const std::uint32_t count = shared.high_byte_counts[high];
    std::uint32_t rank = 0;
    for (std::uint32_t other = 0; other < kHighBytes; ++other) {
      const std::uint32_t other_count = shared.high_byte_counts[other];
      rank += other_count > count || (other_count == count && other < high) ? 1u : 0u;
    }
    const bool hot = count != 0 && rank < kHotHighBytes;
    shared.slot_of_high_byte[high] = hot ? rank : kNoSlot;
    if (hot)
      shared.high_byte_of_slot[rank] = high;
  }
}

template <class Thread>
KMLUT_HD void flush_hot_counts(const Thread& at, const HistogramShared& shared,
                               std::uint32_t* histogram) {
  constexpr std::uint32_t kWordsPerSlot = kKeysPerHighByte / 2;
  for (std::uint32_t word = at.thread(); word < kHotCounterWords; word += at.threads()) {
    const std::uint32_t counts = shared.hot_counts[word];
    if (counts == 0)
      continue;
    const std::uint32_t key = shared.high_byte_of_slot[word / kWordsPerSlot] * kKeysPerHighByte +
                              2 * (word % kWordsPerSlot);
    if ((counts & 0xFFFFu) != 0)
      atomic_add(&histogram[key], counts & 0xFFFFu);
    if ((counts >> 16) != 0)
      atomic_add(&histogram[key + 1], counts >> 16);
  }
}

template <class Format, class Thread>
KMLUT_HD std::uint32_t count_chunk_privately(const Thread& at, const DeviceRequest& request,
                                             const DeviceProblem& problem,
                                             const HistogramChunk& chunk, HistogramShared& shared) {
  for (std::uint32_t high = at.thread(); high < kHighBytes; high += at.threads())
    shared.high_byte_counts[high] = 0;
  for (std::uint32_t word = at.thread(); word < kHotCounterWords; word += at.threads())
    shared.hot_counts[word] = 0;
  at.sync();
  const std::uint32_t flags = for_each_chunk_key<Format>(
      at, request, problem, chunk,
      [&](std::uint32_t key) { atomic_add(&shared.high_byte_counts[key / kKeysPerHighByte], 1u); });
  at.sync();
  assign_hot_slots(at, shared);
  at.sync();
  for_each_chunk_key<Format>(at, request, problem, chunk, [&](std::uint32_t key) {
    const std::uint32_t slot = shared.slot_of_high_byte[key / kKeysPerHighByte];
    if (slot == kNoSlot) {
      atomic_add(&problem.histogram[key], 1u);
    } else {
      const std::uint32_t low = key % kKeysPerHighByte;
      atomic_add(&shared.hot_counts[slot * (kKeysPerHighByte / 2) + low / 2],
                 1u << ((low & 1u) * 16));
    }
  });
  at.sync();
  flush_hot_counts(at, shared, problem.histogram);
  return flags;
}

template <class Thread>
KMLUT_HD void histogram_body(const Thread& at, const DeviceRequest* requests,
                             const DeviceProblem* problems, const HistogramChunk* chunks,
                             HistogramShared& shared) {
  const HistogramChunk chunk = chunks[at.block()];
  const DeviceProblem& problem = problems[chunk.problem];
  const DeviceRequest& request = requests[problem.request];
  const bool private_counts = chunk.end - chunk.begin >= kPrivateChunkElements;
  with_float_format(request.dtype, [&](auto format) {
    using Format = decltype(format);
    const std::uint32_t flags =
        private_counts
            ? count_chunk_privately<Format>(at, request, problem, chunk, shared)
            : for_each_chunk_key<Format>(at, request, problem, chunk, [&](std::uint32_t key) {
                atomic_add(&problem.histogram[key], 1u);
              });
    if (flags != 0)
      atomic_or(request.status, flags);
  });
}

}  // namespace kmlut::cuda
