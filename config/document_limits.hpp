// Bounds on a configuration document, the same for JSON and YAML. A config is a few kilobytes;
// the bounds keep hostile or broken input (deep nesting, alias bombs, huge mappings, whose keys
// ordered maps look up linearly) from exhausting the stack, memory or time.
#pragma once

#include <cstddef>

namespace kmlut::detail {

inline constexpr std::size_t kMaxDocumentBytes = std::size_t{16} << 20;
inline constexpr std::size_t kMaxNestingDepth = 128;
inline constexpr std::size_t kMaxDocumentValues = 1'000'000;
inline constexpr std::size_t kMaxMappingKeys = 10'000;

}  // namespace kmlut::detail
