#include "host/palettize/preflight.hpp"

#include <algorithm>

#include "host/palettize/block_layout.hpp"
#include "host/palettize/float_format_dispatch.hpp"
#include "host/palettize/vector_block_layout.hpp"

namespace kmlut {
namespace palettize {
namespace {

std::string layout_skip_reason(const PalettizeRequest& request) {
  if (request.spec.cluster_dim > 1)
    return plan_vector_blocks(request.weight.shape, request.spec).skip_reason;
  return plan_scalar_blocks(request.weight.shape, request.spec).skip_reason;
}

}  // namespace

std::string unsupported_reason(const PalettizeRequest& request) {
  if (!is_palettizable_dtype(request.weight.dtype)) {
    return "dtype " + std::string(dtype_name(request.weight.dtype)) + " is not palettizable";
  }
  if (request.weight.numel() < 2)
    return "fewer than 2 elements";
  if (request.spec.enable_per_channel_scale && request.weight.shape.size() < 2) {
    return "per-channel scale needs a tensor of rank >= 2";
  }
  return {};
}

std::string first_non_finite(const TensorView& weight) {
  return with_float_format(weight.dtype, [&](auto tag) -> std::string {
    using Tag = decltype(tag);
    const auto* w = static_cast<const typename Tag::Storage*>(weight.data);
    const std::uint64_t numel = weight.numel();
    // A tile at a time without an early exit, a loop the compiler vectorises; the element is
    // looked for only in a tile that has one.
    constexpr std::uint64_t kTile = 4096;
    for (std::uint64_t begin = 0; begin < numel; begin += kTile) {
      const std::uint64_t end = std::min(numel, begin + kTile);
      bool finite = true;
      for (std::uint64_t i = begin; i < end; ++i)
        finite &= Tag::Format::is_finite(w[i]);
      if (finite)
        continue;
      for (std::uint64_t i = begin; i < end; ++i) {
        if (!Tag::Format::is_finite(w[i]))
          return "non-finite value at element " + std::to_string(i);
      }
    }
    return {};
  });
}

}  // namespace palettize

std::uint64_t TensorView::numel() const {
  return palettize::product(shape.begin(), shape.end());
}

std::string preflight_skip_reason(const PalettizeRequest& request, bool check_values) {
  std::string reason = palettize::unsupported_reason(request);
  if (reason.empty())
    reason = palettize::layout_skip_reason(request);
  if (reason.empty() && check_values)
    reason = palettize::first_non_finite(request.weight);
  return reason;
}

}  // namespace kmlut
