// GPU tests skip without a device; KMLUT_REQUIRE_GPU=1 turns that skip into a failure so a device
// run cannot pass by skipping.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/cuda_api.hpp"
#include "kmlut/numeric/rounding.hpp"

namespace {

class CudaTest : public testing::Test {
 protected:
  void SetUp() override {
    if (kmlut::cuda::device_count() > 0)
      return;
    const char* require = std::getenv("KMLUT_REQUIRE_GPU");
    if (require != nullptr && std::strcmp(require, "1") == 0) {
      FAIL() << "KMLUT_REQUIRE_GPU=1 but no CUDA device is usable";
    }
    GTEST_SKIP() << "no CUDA device";
  }
};

TEST_F(CudaTest, RoundingTableIsBitIdenticalToTheCpuTable) {
  for (int precision : {1, 2, 4, 6, 8}) {
    std::vector<float> cpu(kmlut::numeric::kHalfPatterns);
    std::vector<float> gpu(kmlut::numeric::kHalfPatterns);
    kmlut::numeric::fill_rounding_table(precision, cpu.data());
    kmlut::cuda::compute_rounding_table(precision, gpu.data());
    for (std::uint32_t bits = 0; bits < kmlut::numeric::kHalfPatterns; ++bits) {
      // NaN payloads differ between host and device math; fast mode never clusters NaN.
      if (std::isnan(cpu[bits])) {
        EXPECT_TRUE(std::isnan(gpu[bits])) << "pattern " << bits;
        continue;
      }
      ASSERT_EQ(kmlut::numeric::float_bits(cpu[bits]), kmlut::numeric::float_bits(gpu[bits]))
          << "precision " << precision << ", fp16 pattern 0x" << std::hex << bits;
    }
  }
}

}  // namespace
