// Per-channel scale on the device (docs/architecture.md §5.5 step 1), one thread block per output
// channel: s = max |W[r, ...]| (0 -> 1) stored in the weight's dtype, then W / s rounded to the
// dtype as torch does (FloatFormat::divide). A maximum is exact in any order, so the bytes match
// the CPU's.
#include <cstdint>
#include <cub/block/block_reduce.cuh>

#include "kernels/cuda_check.cuh"
#include "kernels/float_format_dispatch.cuh"
#include "kernels/scalar_kernels.hpp"

namespace kmlut::cuda {
namespace {

constexpr unsigned kThreads = 256;

struct Larger {
  __device__ double operator()(double a, double b) const { return b > a ? b : a; }
};

struct RowScratch {
  typename cub::BlockReduce<double, kThreads>::TempStorage reduce;
  double row_max;
};

template <class Format>
__device__ void scale_row(const DeviceRequest& request, std::uint64_t row, RowScratch& scratch) {
  using Storage = typename Format::Storage;
  const std::uint64_t first = row * request.row_size;
  const auto* weights = static_cast<const Storage*>(request.weights) + first;
  double row_max = 0.0;
  bool finite = true;
  for (std::uint64_t i = threadIdx.x; i < request.row_size; i += kThreads) {
    finite = finite && Format::is_finite(weights[i]);
    const double value = Format::to_double(weights[i]);
    const double magnitude = value < 0 ? -value : value;
    row_max = magnitude > row_max ? magnitude : row_max;
  }
  const double block_max =
      cub::BlockReduce<double, kThreads>(scratch.reduce).Reduce(row_max, Larger{});
  if (threadIdx.x == 0)
    scratch.row_max = block_max;
  // A non-finite row still gets its (meaningless) quotients, so that no later phase reads memory
  // nothing wrote; the flag sends the request to the CPU, which reports it.
  if (__syncthreads_and(finite) == 0 && threadIdx.x == 0)
    atomicOr(request.status, kNonFinite);
  const double largest = scratch.row_max;
  const Storage scale = Format::from_double(largest == 0.0 ? 1.0 : largest);
  if (threadIdx.x == 0)
    static_cast<Storage*>(request.scale)[row] = scale;
  auto* scaled = static_cast<Storage*>(request.scaled) + first;
  for (std::uint64_t i = threadIdx.x; i < request.row_size; i += kThreads)
    scaled[i] = Format::divide(weights[i], scale);
}

__global__ void __launch_bounds__(kThreads)
    per_channel_scale_kernel(const DeviceRequest* requests, const ScaleRow* rows) {
  __shared__ RowScratch scratch;
  const ScaleRow row = rows[blockIdx.x];
  const DeviceRequest& request = requests[row.request];
  with_float_format(request.dtype,
                    [&](auto format) { scale_row<decltype(format)>(request, row.row, scratch); });
}

}  // namespace

void launch_per_channel_scale(const DeviceRequest* requests, const ScaleRow* rows,
                              std::uint32_t row_count, cudaStream_t stream) {
  if (row_count == 0)
    return;
  per_channel_scale_kernel<<<row_count, kThreads, 0, stream>>>(requests, rows);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
