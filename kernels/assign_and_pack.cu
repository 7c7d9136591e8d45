// The assignment phase: each thread takes 8 consecutive elements of a request, looks their indices
// up in their blocks' pattern -> index tables, writes them one byte each and as n_bits whole bytes
// of the LSB-first stream (blocks may share a byte with 3- and 6-bit indices; the thread owns the
// byte), and measures Σ (W − Ŵ)² and Σ W² on the way. Per-chunk sums are reduced in a fixed order,
// so the totals are deterministic.
#include <cstdint>
#include <cub/block/block_reduce.cuh>

#include "kernels/cuda_check.cuh"
#include "kernels/float_format_dispatch.cuh"
#include "kernels/scalar_kernels.hpp"
#include "kmlut/numeric/half_pattern_keys.hpp"

namespace kmlut::cuda {
namespace {

constexpr unsigned kThreads = 256;

struct AddErrorSums {
  __device__ ErrorSums operator()(const ErrorSums& a, const ErrorSums& b) const {
    return {a.sse + b.sse, a.sq_norm + b.sq_norm};
  }
};

template <class Format>
__device__ void assign_group(const DeviceRequest& request, const DeviceProblem* problems,
                             std::uint64_t group, ErrorSums& sums) {
  using Storage = typename Format::Storage;
  const auto* values = static_cast<const Storage*>(request.values);
  const auto* weights = static_cast<const Storage*>(request.weights);
  const auto* scale = static_cast<const Storage*>(request.scale);
  const auto* lut = static_cast<const Storage*>(request.lut);
  const std::uint64_t first = group * 8;
  const std::uint64_t end = first + 8 < request.numel ? first + 8 : request.numel;
  BlockCursor cursor(request, first);
  std::uint64_t row = first / request.row_size;
  std::uint64_t row_offset = first - row * request.row_size;
  std::uint64_t word = 0;
  for (std::uint64_t i = first; i < end; ++i) {
    const std::uint64_t block = cursor.block();
    const Storage value = values[i];
    const std::uint8_t index =
        problems[request.first_problem + block]
            .cluster_of_key[numeric::pattern_key(Format::histogram_pattern(value))];
    request.indices[i] = index;
    word |= std::uint64_t{index} << ((i - first) * static_cast<unsigned>(request.n_bits));
    const Storage code = lut[(block << request.n_bits) + index];
    const Storage approximation = scale != nullptr ? Format::multiply(code, scale[row]) : code;
    const double original = Format::to_double(weights[i]);
    const double error = original - Format::to_double(approximation);
    sums.sse += error * error;
    sums.sq_norm += original * original;
    cursor.advance();
    if (++row_offset == request.row_size) {
      row_offset = 0;
      ++row;
    }
  }
  const std::uint64_t bytes = numeric::packed_size(request.numel, request.n_bits) -
                              group * static_cast<std::uint64_t>(request.n_bits);
  const int whole =
      bytes < static_cast<std::uint64_t>(request.n_bits) ? static_cast<int>(bytes) : request.n_bits;
  std::uint8_t* out = request.packed + group * static_cast<std::uint64_t>(request.n_bits);
  for (int b = 0; b < whole; ++b)
    out[b] = static_cast<std::uint8_t>(word >> (8 * b));
}

__global__ void __launch_bounds__(kThreads)
    assign_and_pack_kernel(const DeviceRequest* requests, const DeviceProblem* problems,
                           const PackChunk* chunks, ErrorSums* chunk_sums) {
  using Reduce = cub::BlockReduce<ErrorSums, kThreads>;
  __shared__ typename Reduce::TempStorage scratch;
  const PackChunk chunk = chunks[blockIdx.x];
  const DeviceRequest& request = requests[chunk.request];
  ErrorSums sums{0.0, 0.0};
  with_float_format(request.dtype, [&](auto format) {
    for (std::uint64_t g = threadIdx.x; g < chunk.group_count; g += kThreads)
      assign_group<decltype(format)>(request, problems, chunk.first_group + g, sums);
  });
  const ErrorSums total = Reduce(scratch).Reduce(sums, AddErrorSums{});
  if (threadIdx.x == 0)
    chunk_sums[blockIdx.x] = total;
}

}  // namespace

void launch_assign_and_pack(const DeviceRequest* requests, const DeviceProblem* problems,
                            const PackChunk* chunks, std::uint32_t chunk_count, ErrorSums* sums,
                            cudaStream_t stream) {
  if (chunk_count == 0)
    return;
  assign_and_pack_kernel<<<chunk_count, kThreads, 0, stream>>>(requests, problems, chunks, sums);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
