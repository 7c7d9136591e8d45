// PalettizationSpec validation: the field rules of coreai_opt's PalettizationSpec and its
// granularity classes (docs/architecture.md §5.1).
#include "kmlut/spec.hpp"

#include <array>
#include <string>

#include "kmlut/error.hpp"

namespace kmlut {
namespace {

constexpr std::array<int, 6> kValidNBits = {1, 2, 3, 4, 6, 8};

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw ConfigError(path + ": " + problem);
}

void validate_n_bits(int n_bits, const std::string& path) {
  for (int valid : kValidNBits) {
    if (n_bits == valid)
      return;
  }
  fail(path, std::to_string(n_bits) + " is not one of 1, 2, 3, 4, 6, 8");
}

// per_tensor carries no axis or group size; keeping them unset makes equal specs compare equal.
void validate_per_tensor(const Granularity& granularity, const std::string& path) {
  if (granularity.axis) {
    fail(path + ".axis", "must be null for per_tensor, got " + std::to_string(*granularity.axis));
  }
  if (granularity.group_size != 0) {
    fail(path + ".group_size",
         "not used by per_tensor, must be 0, got " + std::to_string(granularity.group_size));
  }
}

void validate_per_grouped_channel(const Granularity& granularity, const std::string& path) {
  if (granularity.axis && *granularity.axis != 0 && *granularity.axis != 1) {
    fail(path + ".axis", "must be 0, 1 or null, got " + std::to_string(*granularity.axis));
  }
  if (granularity.group_size <= 0) {
    fail(path + ".group_size", "must be > 0, got " + std::to_string(granularity.group_size));
  }
}

}  // namespace

void PalettizationSpec::validate(const std::string& path) const {
  validate_n_bits(n_bits, path + ".n_bits");
  if (granularity.type == GranularityType::PerTensor) {
    validate_per_tensor(granularity, path + ".granularity");
  } else {
    validate_per_grouped_channel(granularity, path + ".granularity");
  }
  if (cluster_dim < 1) {
    fail(path + ".cluster_dim", "must be >= 1, got " + std::to_string(cluster_dim));
  }
}

}  // namespace kmlut
