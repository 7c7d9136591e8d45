// The assignment phase (kernels/assign_and_pack.cu launches it): each thread takes 8 consecutive
// elements of a request, looks their indices up in their blocks' pattern -> index tables (on the
// all-values path: searches their blocks' cluster boundaries, all_values_body.hpp), writes
// them one byte each and as n_bits whole bytes of the LSB-first stream (blocks may share a byte
// with 3- and 6-bit indices; the thread owns the byte), and measures Σ (W − Ŵ)² and Σ W² on the
// way. Per-chunk sums are reduced in a fixed order, so the totals are deterministic.
#pragma once

#include <cstdint>

#include "kernels/bodies/all_values_body.hpp"
#include "kernels/bodies/float_format_dispatch.hpp"
#include "kernels/grid/block_collectives.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/numeric/bit_packing.hpp"
#include "kmlut/numeric/half_pattern_keys.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

constexpr unsigned kAssignThreads = 256;

struct AddErrorSums {
  KMLUT_HD ErrorSums operator()(const ErrorSums& a, const ErrorSums& b) const {
    return {a.sse + b.sse, a.sq_norm + b.sq_norm};
  }
};

using AssignShared = ReduceScratch<kAssignThreads, ErrorSums>;

template <class Format>
KMLUT_HD void assign_group(const DeviceRequest& request, const DeviceProblem* problems,
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
        request.cluster_upper != nullptr
            ? all_values_index(request, block, Format::to_double(value))
            : problems[request.first_problem + block]
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

// Block b assigns chunks[b] and writes its sums to chunk_sums[b].
template <class Thread>
KMLUT_HD void assign_and_pack_body(const Thread& at, const DeviceRequest* requests,
                                   const DeviceProblem* problems, const PackChunk* chunks,
                                   ErrorSums* chunk_sums, AssignShared& shared) {
  const PackChunk chunk = chunks[at.block()];
  const DeviceRequest& request = requests[chunk.request];
  ErrorSums sums{0.0, 0.0};
  if (*request.status != 0) {  // flagged for the CPU by the first phases
    if (at.thread() == 0)
      chunk_sums[at.block()] = sums;
    return;
  }
  with_float_format(request.dtype, [&](auto format) {
    for (std::uint64_t g = at.thread(); g < chunk.group_count; g += kAssignThreads)
      assign_group<decltype(format)>(request, problems, chunk.first_group + g, sums);
  });
  const ErrorSums total = block_reduce<kAssignThreads>(at, sums, AddErrorSums{}, shared);
  if (at.thread() == 0)
    chunk_sums[at.block()] = total;
}

}  // namespace kmlut::cuda
