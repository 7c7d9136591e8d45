// Per-channel scale (kernels/per_channel_scale.cu launches it; docs/architecture.md §5.5 step 1),
// one grid block per output channel: s = max |W[r, ...]| (0 -> 1) stored in the weight's dtype,
// then W / s rounded to the dtype as torch does (FloatFormat::divide). A maximum is exact in any
// order, so the bytes match the CPU's.
#pragma once

#include <cstdint>

#include "kernels/bodies/float_format_dispatch.hpp"
#include "kernels/grid/block_collectives.hpp"
#include "kernels/grid/grid_atomics.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

constexpr unsigned kScaleThreads = 256;

// The largest magnitude of a row so far and whether every value was finite.
struct RowExtent {
  double largest;
  int finite;
};

struct WidenExtent {
  KMLUT_HD RowExtent operator()(const RowExtent& a, const RowExtent& b) const {
    return {b.largest > a.largest ? b.largest : a.largest, a.finite & b.finite};
  }
};

using ScaleShared = ReduceScratch<kScaleThreads, RowExtent>;

template <class Format, class Thread>
KMLUT_HD void scale_row(const Thread& at, const DeviceRequest& request, std::uint64_t row,
                        ScaleShared& shared) {
  using Storage = typename Format::Storage;
  const std::uint64_t first = row * request.row_size;
  const auto* weights = static_cast<const Storage*>(request.weights) + first;
  RowExtent extent{0.0, 1};
  for (std::uint64_t i = at.thread(); i < request.row_size; i += kScaleThreads) {
    extent.finite &= Format::is_finite(weights[i]) ? 1 : 0;
    const double value = Format::to_double(weights[i]);
    const double magnitude = value < 0 ? -value : value;
    extent.largest = magnitude > extent.largest ? magnitude : extent.largest;
  }
  const RowExtent row_extent = block_reduce<kScaleThreads>(at, extent, WidenExtent{}, shared);
  // A non-finite row still gets its (meaningless) quotients, so that no later phase reads memory
  // nothing wrote; the flag sends the request to the CPU, which reports it.
  if (!row_extent.finite && at.thread() == 0)
    atomic_or(request.status, kNonFinite);
  const Storage scale = Format::from_double(row_extent.largest == 0.0 ? 1.0 : row_extent.largest);
  if (at.thread() == 0)
    static_cast<Storage*>(request.scale)[row] = scale;
  auto* scaled = static_cast<Storage*>(request.scaled) + first;
  for (std::uint64_t i = at.thread(); i < request.row_size; i += kScaleThreads)
    scaled[i] = Format::divide(weights[i], scale);
}

// Block b scales rows[b].
template <class Thread>
KMLUT_HD void per_channel_scale_body(const Thread& at, const DeviceRequest* requests,
                                     const ScaleRow* rows, ScaleShared& shared) {
  const ScaleRow row = rows[at.block()];
  const DeviceRequest& request = requests[row.request];
  with_float_format(request.dtype, [&](auto format) {
    scale_row<decltype(format)>(at, request, row.row, shared);
  });
}

}  // namespace kmlut::cuda
