// Test oracles that live outside the project (numpy, kmeans1d, sklearn) may be missing on a
// developer's machine, where their tests skip. scripts/test.sh sets KMLUT_REQUIRE_ORACLES=1 so
// that in CI a missing oracle fails instead of silently skipping.
#pragma once

#include <cstdlib>
#include <cstring>

namespace kmlut::testing_support {

inline bool oracles_required() {
  const char* value = std::getenv("KMLUT_REQUIRE_ORACLES");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

}  // namespace kmlut::testing_support

#define KMLUT_ORACLE_UNAVAILABLE(message)             \
  do {                                                \
    if (::kmlut::testing_support::oracles_required()) \
      FAIL() << (message);                            \
    GTEST_SKIP() << (message);                        \
  } while (0)
