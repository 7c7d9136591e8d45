// The histogram phase (kernels/pattern_histogram.cu launches it; the CPU grid executor runs it in
// the tests): every chunk of every problem (one grid block each) adds its elements' 16-bit
// patterns to the problem's 65,536-bin histogram in device memory. A chunk large enough to pay
// for it counts in a private shared-memory histogram first (two 16-bit counters per word; a chunk
// has fewer than 65,536 elements, so they cannot overflow) and then adds the non-empty bins with
// one global atomic each; a small chunk adds straight to device memory. Integer sums: the result
// does not depend on the order.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/bodies/float_format_dispatch.hpp"
#include "kernels/grid/grid_atomics.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/numeric/half_pattern_keys.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

constexpr unsigned kHistogramThreads = 1024;
constexpr std::uint32_t kHistogramSharedWords = numeric::kPatternKeys / 2;
constexpr std::size_t kHistogramSharedBytes = kHistogramSharedWords * sizeof(std::uint32_t);
// Below this many elements zeroing and flushing 65,536 shared counters costs more than it saves.
constexpr std::uint64_t kPrivateChunkElements = 16384;

template <class Format, class Thread>
KMLUT_HD void count_chunk(const Thread& at, const DeviceRequest& request,
                          const DeviceProblem& problem, const HistogramChunk& chunk,
                          std::uint32_t* shared_counts) {
  const auto* values = static_cast<const typename Format::Storage*>(request.values);
  bool finite = true;
  bool in_range = true;
  for (std::uint64_t t = chunk.begin + at.thread(); t < chunk.end; t += at.threads()) {
    const auto value = values[element_of_block(request, problem.block, t)];
    finite = finite && Format::is_finite(value);
    in_range = in_range && Format::in_half_range(value);
    const std::uint32_t key = numeric::pattern_key(Format::histogram_pattern(value));
    if (shared_counts != nullptr) {
      atomic_add(&shared_counts[key >> 1], 1u << ((key & 1u) * 16));
    } else {
      atomic_add(&problem.histogram[key], 1u);
    }
  }
  // fp16's range matters in fast mode only (the all-values path clusters any finite value).
  const bool fast_mode = request.rounding_table != nullptr;
  const std::uint32_t flags =
      (finite ? 0u : kNonFinite) | (in_range || !fast_mode ? 0u : kOutsideHalfRange);
  if (flags != 0)
    atomic_or(request.status, flags);
}

// shared_counts: kHistogramSharedBytes of the block's shared memory.
template <class Thread>
KMLUT_HD void histogram_body(const Thread& at, const DeviceRequest* requests,
                             const DeviceProblem* problems, const HistogramChunk* chunks,
                             std::uint32_t* shared_counts) {
  const HistogramChunk chunk = chunks[at.block()];
  const DeviceProblem& problem = problems[chunk.problem];
  const DeviceRequest& request = requests[problem.request];
  const bool private_counts = chunk.end - chunk.begin >= kPrivateChunkElements;
  if (private_counts) {
    for (std::uint32_t word = at.thread(); word < kHistogramSharedWords; word += at.threads())
      shared_counts[word] = 0;
    at.sync();
  }
  with_float_format(request.dtype, [&](auto format) {
    count_chunk<decltype(format)>(at, request, problem, chunk,
                                  private_counts ? shared_counts : nullptr);
  });
  if (!private_counts)
    return;
  at.sync();
  for (std::uint32_t word = at.thread(); word < kHistogramSharedWords; word += at.threads()) {
    const std::uint32_t pair = shared_counts[word];
    if ((pair & 0xFFFFu) != 0)
      atomic_add(&problem.histogram[2 * word], pair & 0xFFFFu);
    if ((pair >> 16) != 0)
      atomic_add(&problem.histogram[2 * word + 1], pair >> 16);
  }
}

}  // namespace kmlut::cuda
