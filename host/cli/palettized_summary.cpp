#include "host/cli/palettized_summary.hpp"

namespace kmlut::cli {
namespace {

std::uint64_t numel_of(const std::vector<std::int64_t>& shape) {
  std::uint64_t count = 1;
  for (std::int64_t extent : shape)
    count *= static_cast<std::uint64_t>(extent);
  return count;
}

std::uint64_t stored_bytes(const PalettizedParts& parts) {
  std::uint64_t bytes = 0;
  for (const StoredTensor* part :
       {&parts.lut, &parts.indices, &parts.scale, &parts.lut_scale, &parts.lut_zero_point}) {
    if (part->info != nullptr)
      bytes += part->info->nbytes();
  }
  return bytes;
}

PalettizedTensorSummary summarize(const KmlutIndex::Entry& entry) {
  PalettizedTensorSummary tensor;
  tensor.entry = &entry;
  tensor.granularity = entry.info.group_axis ? "per_grouped_channel" : "per_tensor";
  // N.lut is [g_0, …, g_{r-1}, 2^n_bits, cluster_dim]: the LUT grid, then one table.
  const std::vector<std::int64_t>& lut_shape = entry.parts.lut.info->shape;
  tensor.num_luts = static_cast<std::size_t>(
      numel_of(std::vector<std::int64_t>(lut_shape.begin(), lut_shape.end() - 2)));
  tensor.lut_dtype = entry.parts.lut.info->dtype;
  tensor.numel = numel_of(entry.info.shape);
  tensor.bytes_before = tensor.numel * dtype_bits(entry.info.dtype) / 8;
  tensor.bytes_after = stored_bytes(entry.parts);
  return tensor;
}

double ratio(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0.0;
}

}  // namespace

double PalettizedSummary::bits_per_weight() const {
  return ratio(8.0 * static_cast<double>(bytes_after), static_cast<double>(weights));
}

double PalettizedSummary::palettized_bits_per_weight() const {
  return ratio(8.0 * static_cast<double>(palettized_bytes_after),
               static_cast<double>(palettized_numel));
}

double PalettizedSummary::compression_ratio() const {
  return ratio(static_cast<double>(bytes_before), static_cast<double>(bytes_after));
}

PalettizedSummary summarize_palettized(const Checkpoint& checkpoint, const KmlutIndex& index) {
  PalettizedSummary summary;
  for (const KmlutIndex::Entry& entry : index.entries()) {
    PalettizedTensorSummary tensor = summarize(entry);
    summary.weights += tensor.numel;
    summary.bytes_before += tensor.bytes_before;
    summary.bytes_after += tensor.bytes_after;
    summary.palettized_numel += tensor.numel;
    summary.palettized_bytes_before += tensor.bytes_before;
    summary.palettized_bytes_after += tensor.bytes_after;
    summary.tensors.push_back(std::move(tensor));
  }
  for (const Checkpoint::TensorRef& ref : checkpoint.tensors()) {
    if (index.entry_of_part(ref.info->name) != nullptr)
      continue;
    summary.dense.push_back(ref.info);
    summary.weights += numel_of(ref.info->shape);
    summary.bytes_before += ref.info->nbytes();
    summary.bytes_after += ref.info->nbytes();
  }
  return summary;
}

}  // namespace kmlut::cli
