// Launches the assignment phase (kernels/bodies/assign_and_pack_body.hpp), one block per chunk.
#include <cstdint>

#include "kernels/bodies/assign_and_pack_body.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/grid/device_thread.cuh"
#include "kernels/scalar_kernels.hpp"

namespace kmlut::cuda {
namespace {

__global__ void __launch_bounds__(kAssignThreads)
    assign_and_pack_kernel(const DeviceRequest* requests, const DeviceProblem* problems,
                           const PackChunk* chunks, ErrorSums* chunk_sums) {
  __shared__ AssignShared shared;
  assign_and_pack_body(DeviceThread{}, requests, problems, chunks, chunk_sums, shared);
}

}  // namespace

void launch_assign_and_pack(const DeviceRequest* requests, const DeviceProblem* problems,
                            const PackChunk* chunks, std::uint32_t chunk_count, ErrorSums* sums,
                            cudaStream_t stream) {
  if (chunk_count == 0)
    return;
  assign_and_pack_kernel<<<chunk_count, kAssignThreads, 0, stream>>>(requests, problems, chunks,
                                                                     sums);
  KMLUT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace kmlut::cuda
