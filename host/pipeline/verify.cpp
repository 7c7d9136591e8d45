// Measuring a palettized checkpoint against its original, one tensor at a time.
#include "kmlut/verify.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "config/key_path.hpp"
#include "host/io/element_values.hpp"
#include "kmlut/error.hpp"

namespace kmlut {

using detail::has_numeric_reading;
using detail::json_quote;
using detail::read_number;

double ErrorStats::rel_error() const {
  if (sse == 0.0)
    return 0.0;
  if (sum_sq == 0.0)
    return std::numeric_limits<double>::infinity();
  return std::sqrt(sse / sum_sq);
}

double ErrorStats::snr_db() const {
  if (sse == 0.0)
    return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(sum_sq / sse);
}

void ErrorStats::add(const ErrorStats& other) {
  numel += other.numel;
  sum_sq += other.sum_sq;
  sse += other.sse;
  max_abs_error = std::max(max_abs_error, other.max_abs_error);
}

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& tensor,
                       const std::string& problem) {
  throw InputError(source + ": tensor " + json_quote(tensor) + ": " + problem);
}

ErrorStats compare_values(DType dtype, std::uint64_t numel, ByteView original, ByteView other) {
  ErrorStats stats;
  stats.numel = numel;
  for (std::uint64_t i = 0; i < numel; ++i) {
    const double w = read_number(dtype, original.data, i);
    const double w_hat = read_number(dtype, other.data, i);
    // Equal values (infinities included) and NaN against NaN are no error.
    const bool same = w == w_hat || (std::isnan(w) && std::isnan(w_hat));
    const double difference = same ? 0.0 : w - w_hat;
    stats.sum_sq += w * w;
    stats.sse += difference * difference;
    stats.max_abs_error = std::max(stats.max_abs_error, std::abs(difference));
  }
  return stats;
}

void check_counterpart(const TensorInfo& original, const std::string& original_source, DType dtype,
                       const std::vector<std::int64_t>& shape, const std::string& source) {
  if (dtype == original.dtype && shape == original.shape)
    return;
  fail(source, original.name,
       std::string(dtype_name(dtype)) + " " + shape_text(shape) + " here, but " + original_source +
           " has " + std::string(dtype_name(original.dtype)) + " " + shape_text(original.shape));
}

TensorVerification verify_tensor(const Checkpoint& original, const Checkpoint::TensorRef& ref,
                                 const Checkpoint& palettized, const KmlutIndex& index) {
  const TensorInfo& info = *ref.info;
  const std::string source = palettized.source().string();
  TensorVerification result{info.name, info.dtype, info.shape, false, false, true, {}};
  std::vector<std::uint8_t> dense;
  ByteView other;
  if (const KmlutIndex::Entry* entry = index.find(info.name)) {
    check_counterpart(info, original.source().string(), entry->info.dtype, entry->info.shape,
                      source);
    dense = index.reconstruct(*entry);
    other = {dense.data(), dense.size()};
    result.palettized = true;
  } else {
    const Checkpoint::TensorRef* counterpart = palettized.find(info.name);
    if (counterpart == nullptr || index.entry_of_part(info.name) != nullptr) {
      fail(source, info.name, "missing; " + original.source().string() + " has it");
    }
    check_counterpart(info, original.source().string(), counterpart->info->dtype,
                      counterpart->info->shape, source);
    other = palettized.data(*counterpart);
  }
  const ByteView reference = original.data(ref);
  result.identical =
      reference.size == 0 || std::memcmp(reference.data, other.data, reference.size) == 0;
  result.values_compared = has_numeric_reading(info.dtype);
  if (result.values_compared)
    result.error = compare_values(info.dtype, info.numel(), reference, other);
  return result;
}

}  // namespace

VerifyReport verify_checkpoint(const Checkpoint& original, const Checkpoint& palettized) {
  const KmlutIndex index(palettized);
  VerifyReport report;
  for (const Checkpoint::TensorRef& ref : original.tensors()) {
    TensorVerification tensor = verify_tensor(original, ref, palettized, index);
    if (tensor.values_compared && is_palettizable_dtype(tensor.dtype)) {
      report.total.add(tensor.error);
      if (tensor.palettized)
        report.palettized_total.add(tensor.error);
    }
    if (tensor.palettized)
      ++report.palettized_count;
    report.tensors.push_back(std::move(tensor));
  }
  return report;
}

}  // namespace kmlut
