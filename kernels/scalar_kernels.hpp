// Launchers of the scalar palettization phases (kernels/*.cu; their bodies in kernels/bodies/).
// Each is one launch over a whole batch (scalar_batch.hpp) on `stream`; descriptor arrays live in
// device memory. They check the launch and throw kmlut::Error; errors while a kernel runs surface
// at the next synchronisation.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/scalar_batch.hpp"

namespace kmlut::cuda {

// s[r] = max |W[r, ...]| (0 -> 1) and W / s in the weight's dtype for every listed row; flags
// non-finite weights.
void launch_per_channel_scale(const DeviceRequest* requests, const ScaleRow* rows,
                              std::uint32_t row_count, cudaStream_t stream);

// Adds each chunk's 16-bit patterns into its problem's histogram (zeroed before); flags
// non-finite values and, for fast mode, values outside fp16's range.
void launch_histograms(const DeviceRequest* requests, const DeviceProblem* problems,
                       const HistogramChunk* chunks, std::uint32_t chunk_count,
                       cudaStream_t stream);

// Each problem's histogram -> its ascending unique clustered values, their counts and how many.
void launch_unique_points(const DeviceRequest* requests, const DeviceProblem* problems,
                          std::uint32_t problem_count, cudaStream_t stream);

// For requests with sensitivities: each problem's unique-value counts replaced by the sums of
// their elements' sensitivities, in element order.
void launch_sensitivity_weights(const DeviceRequest* requests, const DeviceProblem* problems,
                                std::uint32_t problem_count, cudaStream_t stream);

// For requests on the all-values path: each problem's values sorted into weighted points.
void launch_all_values_points(const DeviceRequest* requests, const DeviceProblem* problems,
                              std::uint32_t problem_count, cudaStream_t stream);

// The exact k-means of each listed problem, its LUT entries and its pattern -> index table, on
// blocks of `threads` threads (32, 64 or 256: is_exact_dp_block_size).
void launch_exact_dp(const DeviceRequest* requests, const DeviceProblem* problems,
                     const std::uint32_t* problem_ids, std::uint32_t count, unsigned threads,
                     cudaStream_t stream);

// Each listed problem's LUT quantized (lut_qspec requests only): codes, scale, zero point, and
// the dequantized entries in place.
void launch_lut_quantization(const DeviceRequest* requests, const DeviceProblem* problems,
                             const std::uint32_t* problem_ids, std::uint32_t count,
                             cudaStream_t stream);

// Every element's index, one byte each and LSB-first packed, and per chunk Σ (W − Ŵ)², Σ W².
void launch_assign_and_pack(const DeviceRequest* requests, const DeviceProblem* problems,
                            const PackChunk* chunks, std::uint32_t chunk_count, ErrorSums* sums,
                            cudaStream_t stream);

// table[65536] (device memory) = fast mode's rounded value of every fp16 pattern.
void launch_rounding_table(int precision, float* table, cudaStream_t stream);

}  // namespace kmlut::cuda
