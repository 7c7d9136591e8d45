// PalettizationSpec: how one state tensor is palettized (coreai_opt's PalettizationSpec).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kmlut {

enum class GranularityType : std::uint8_t { PerTensor, PerGroupedChannel };

// Which blocks share one LUT. per_tensor: the whole tensor; per_grouped_channel: `group_size`
// consecutive channels along `axis` (nullopt = the consuming op's default axis).
struct Granularity final {
  GranularityType type = GranularityType::PerTensor;
  std::optional<int> axis;
  std::int64_t group_size = 0;  // meaningful for PerGroupedChannel only

  static Granularity per_tensor() { return {}; }
  static Granularity per_grouped_channel(std::optional<int> axis, std::int64_t group_size) {
    return {GranularityType::PerGroupedChannel, axis, group_size};
  }

  friend bool operator==(const Granularity& a, const Granularity& b) {
    return a.type == b.type && a.axis == b.axis && a.group_size == b.group_size;
  }
  friend bool operator!=(const Granularity& a, const Granularity& b) { return !(a == b); }
};

enum class LutDType : std::uint8_t { Int8, UInt8 };
enum class QScheme : std::uint8_t { Symmetric, Asymmetric };

// Quantization of the LUT entries themselves: one scale (and zero point) per LUT.
struct LutQSpec final {
  LutDType dtype = LutDType::Int8;
  QScheme qscheme = QScheme::Symmetric;

  friend bool operator==(const LutQSpec& a, const LutQSpec& b) {
    return a.dtype == b.dtype && a.qscheme == b.qscheme;
  }
  friend bool operator!=(const LutQSpec& a, const LutQSpec& b) { return !(a == b); }
};

struct PalettizationSpec final {
  int n_bits = 4;
  Granularity granularity;
  int cluster_dim = 1;
  bool enable_per_channel_scale = false;
  std::optional<LutQSpec> lut_qspec;

  // Throws ConfigError("<path>.<field>: <problem>") for the first invalid field.
  void validate(const std::string& path) const;

  friend bool operator==(const PalettizationSpec& a, const PalettizationSpec& b) {
    return a.n_bits == b.n_bits && a.granularity == b.granularity &&
           a.cluster_dim == b.cluster_dim &&
           a.enable_per_channel_scale == b.enable_per_channel_scale && a.lut_qspec == b.lut_qspec;
  }
  friend bool operator!=(const PalettizationSpec& a, const PalettizationSpec& b) {
    return !(a == b);
  }
};

// 4-bit, per-tensor, scalar, no LUT quantization, no per-channel scale.
inline PalettizationSpec default_weight_palettization_spec() {
  return {};
}

}  // namespace kmlut
