// The histogram phase: every chunk of every problem adds its elements' 16-bit patterns to the
// problem's 65,536-bin histogram in device memory. A chunk large enough to pay for it counts in a
// private shared-memory histogram first (two 16-bit counters per word; a chunk has fewer than
// 65,536 elements, so they cannot overflow) and then adds the non-empty bins with one global
// atomic each; a small chunk adds straight to device memory. Integer sums: the result does not
// depend on the order.
#include <cstdint>

#include "kernels/cuda_check.cuh"
#include "kernels/float_format_dispatch.cuh"
#include "kernels/scalar_kernels.hpp"
#include "kmlut/numeric/half_pattern_keys.hpp"

namespace kmlut::cuda {
namespace {

constexpr unsigned kThreads = 1024;
constexpr std::uint32_t kSharedWords = numeric::kPatternKeys / 2;
constexpr std::size_t kSharedBytes = kSharedWords * sizeof(std::uint32_t);
// Below this many elements zeroing and flushing 65,536 shared counters costs more than it saves.
constexpr std::uint64_t kPrivateChunkElements = 16384;

template <class Format>
__device__ void count_chunk(const DeviceRequest& request, const DeviceProblem& problem,
                            const HistogramChunk& chunk, std::uint32_t* shared_counts) {
  const auto* values = static_cast<const typename Format::Storage*>(request.values);
  bool finite = true;
  bool in_range = true;
  for (std::uint64_t t = chunk.begin + threadIdx.x; t < chunk.end; t += kThreads) {
    const auto value = values[element_of_block(request, problem.block, t)];
    finite = finite && Format::is_finite(value);
    in_range = in_range && Format::in_half_range(value);
    const std::uint32_t key = numeric::pattern_key(Format::histogram_pattern(value));
    if (shared_counts != nullptr) {
      atomicAdd(&shared_counts[key >> 1], 1u << ((key & 1u) * 16));
    } else {
      atomicAdd(&problem.histogram[key], 1u);
    }
  }
  const std::uint32_t flags = (finite ? 0u : kNonFinite) | (in_range ? 0u : kOutsideHalfRange);
  if (flags != 0)
    atomicOr(request.status, flags);
}

__global__ void __launch_bounds__(kThreads)
    histogram_kernel(const DeviceRequest* requests, const DeviceProblem* problems,
                     const HistogramChunk* chunks) {
  extern __shared__ std::uint32_t shared_counts[];
  const HistogramChunk chunk = chunks[blockIdx.x];
  const DeviceProblem& problem = problems[chunk.problem];
  const DeviceRequest& request = requests[problem.request];
  const bool private_counts = chunk.end - chunk.begin >= kPrivateChunkElements;
  if (private_counts) {
    for (std::uint32_t word = threadIdx.x; word < kSharedWords; word += kThreads)
      shared_counts[word] = 0;
    __syncthreads();
  }
  with_float_format(request.dtype, [&](auto format) {
    count_chunk<decltype(format)>(request, problem, chunk,
                                  private_counts ? shared_counts : nullptr);
  });
  if (!private_counts)
    return;
  __syncthreads();
  for (std::uint32_t word = threadIdx.x; word < kSharedWords; word += kThreads) {
    const std::uint32_t pair = shared_counts[word];
    if ((pair & 0xFFFFu) != 0)
      atomicAdd(&problem.histogram[2 * word], pair & 0xFFFFu);
    if ((pair >> 16) != 0)
      atomicAdd(&problem.histogram[2 * word + 1], pair >> 16);
  }
}

}  // namespace

void launch_histograms(const DeviceRequest* requests, const DeviceProblem* problems,
                       const HistogramChunk* chunks, std::uint32_t chunk_count,
                       cudaStream_t stream) {
  if (chunk_count == 0)
    return;
  KMLUT_CUDA_CHECK(cudaFuncSetAttribute(histogram_kernel,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(kSharedBytes)));
  histogram_kernel<<<chunk_count, kThreads, kSharedBytes, stream>>>(requests, problems, chunks);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
