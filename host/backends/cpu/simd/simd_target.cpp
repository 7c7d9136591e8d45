#include "host/backends/cpu/simd/simd_target.hpp"

#include <cstdlib>
#include <string>

#include "kmlut/error.hpp"

namespace kmlut::cpu {
namespace {

constexpr SimdTarget kAllTargets[] = {SimdTarget::kBaseline, SimdTarget::kAvx2,
                                      SimdTarget::kAvx512};

SimdTarget choose_target() {
  const char* forced = std::getenv("KMLUT_SIMD");
  if (forced == nullptr || *forced == '\0')
    return supported_simd_targets().back();
  const SimdTarget target = parse_simd_target(forced);
  if (!simd_target_supported(target)) {
    throw ConfigError(std::string("KMLUT_SIMD=") + forced +
                      ": this processor does not support that instruction set");
  }
  return target;
}

}  // namespace

const char* simd_target_name(SimdTarget target) {
  switch (target) {
    case SimdTarget::kBaseline:
      return "baseline";
    case SimdTarget::kAvx2:
      return "avx2";
    case SimdTarget::kAvx512:
      return "avx512";
  }
  return "?";
}

SimdTarget parse_simd_target(std::string_view name) {
  for (SimdTarget target : kAllTargets) {
    if (name == simd_target_name(target))
      return target;
  }
  throw ConfigError("KMLUT_SIMD=" + std::string(name) +
                    ": not an instruction set (baseline, avx2, avx512)");
}

// __builtin_cpu_supports also checks that the operating system saves the wider registers.
bool simd_target_supported(SimdTarget target) {
  switch (target) {
    case SimdTarget::kBaseline:
      return true;
    case SimdTarget::kAvx2:
      return __builtin_cpu_supports("avx2");
    case SimdTarget::kAvx512:
      return __builtin_cpu_supports("avx512f");
  }
  return false;
}

std::vector<SimdTarget> supported_simd_targets() {
  std::vector<SimdTarget> targets;
  for (SimdTarget target : kAllTargets) {
    if (simd_target_supported(target))
      targets.push_back(target);
  }
  return targets;
}

SimdTarget active_simd_target() {
  static const SimdTarget target = choose_target();
  return target;
}

}  // namespace kmlut::cpu
