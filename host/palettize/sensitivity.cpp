#include "host/palettize/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "host/palettize/float_format_dispatch.hpp"
#include "kmlut/error.hpp"

namespace kmlut::palettize {
namespace {

template <class Tag>
std::string to_floats(const TensorView& raw, std::vector<float>& out) {
  const auto* values = static_cast<const typename Tag::Storage*>(raw.data);
  const std::uint64_t numel = raw.numel();
  out.resize(numel);
  for (std::uint64_t i = 0; i < numel; ++i) {
    const auto value = static_cast<float>(Tag::Format::to_double(values[i]));
    if (!std::isfinite(value) || value < 0.0f) {
      return "sensitivity " + std::string(std::isfinite(value) ? "is negative" : "is not finite") +
             " at element " + std::to_string(i);
    }
    out[i] = value;
  }
  return {};
}

}  // namespace

std::string normalize_sensitivity(const TensorView& raw, std::vector<float>& normalized) {
  if (!is_palettizable_dtype(raw.dtype)) {
    return "sensitivity dtype " + std::string(dtype_name(raw.dtype)) +
           " is not a floating-point type";
  }
  std::string problem = with_float_format(
      raw.dtype, [&](auto tag) { return to_floats<decltype(tag)>(raw, normalized); });
  if (!problem.empty() || normalized.empty())
    return problem;
  const float largest = *std::max_element(normalized.begin(), normalized.end());
  if (largest == 0.0f) {
    std::fill(normalized.begin(), normalized.end(), 1.0f);
    return {};
  }
  float smallest_nonzero = std::numeric_limits<float>::infinity();
  for (float& value : normalized) {
    value /= largest;
    if (value > 0.0f)
      smallest_nonzero = std::min(smallest_nonzero, value);
  }
  for (float& value : normalized) {
    if (value == 0.0f)
      value = smallest_nonzero;
    value = std::max(value, kSensitivityFloor);
  }
  return {};
}

std::vector<float> normalized_sensitivity(const PalettizeRequest& request) {
  std::vector<float> normalized;
  if (request.sensitivity.data == nullptr)
    return normalized;
  if (request.sensitivity.shape != request.weight.shape) {
    throw InputError("the sensitivity of tensor " + request.name + " has shape " +
                     shape_text(request.sensitivity.shape) + ", expected " +
                     shape_text(request.weight.shape));
  }
  const std::string problem = normalize_sensitivity(request.sensitivity, normalized);
  if (!problem.empty())
    throw InputError("the sensitivity of tensor " + request.name + ": " + problem);
  return normalized;
}

}  // namespace kmlut::palettize
