// The fixture of every test that needs a CUDA device: it skips without one, and with
// KMLUT_REQUIRE_GPU=1 that skip is a failure, so a device run cannot pass by skipping.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "kernels/cuda_api.hpp"

namespace kmlut::testing_support {

inline bool gpu_required() {
  const char* require = std::getenv("KMLUT_REQUIRE_GPU");
  return require != nullptr && std::strcmp(require, "1") == 0;
}

class CudaTest : public testing::Test {
 protected:
  void SetUp() override {
    const std::string unusable = cuda::device_unusable_reason();
    if (unusable.empty())
      return;
    if (gpu_required())
      FAIL() << "KMLUT_REQUIRE_GPU=1 but " << unusable;
    GTEST_SKIP() << unusable;
  }
};

}  // namespace kmlut::testing_support
