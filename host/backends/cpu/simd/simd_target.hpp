// SimdTarget: the instruction set the CPU backend's vector kernels run with, chosen at run time.
// The library is built for baseline x86-64; kernels that gain from wider vectors are compiled
// once per target (their own translation units, with that target's flags and -ffp-contract=off)
// and picked here, once per process: the widest target the processor supports, or the one the
// environment variable KMLUT_SIMD names (baseline, avx2 or avx512).
//
// Every kernel computes the same float operations in the same order on every target — only the
// number of lanes differs — so the output bytes never depend on the target (docs/architecture.md
// §5.7); tests force each target and compare.
#pragma once

#include <string_view>
#include <vector>

namespace kmlut::cpu {

enum class SimdTarget {
  kBaseline,  // x86-64: SSE2
  kAvx2,
  kAvx512,  // AVX-512F
};

// The name KMLUT_SIMD takes: "baseline", "avx2", "avx512".
const char* simd_target_name(SimdTarget target);

// Throws ConfigError for a name that is no target.
SimdTarget parse_simd_target(std::string_view name);

bool simd_target_supported(SimdTarget target);

// Every target this processor runs, baseline first.
std::vector<SimdTarget> supported_simd_targets();

// KMLUT_SIMD when set (ConfigError if unknown or not supported here), else the widest supported
// target; read once.
SimdTarget active_simd_target();

}  // namespace kmlut::cpu
