// The device's fast-mode rounding table is the CPU's, bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/cuda_api.hpp"
#include "kmlut/numeric/rounding.hpp"
#include "tests/gpu/require_gpu.hpp"

namespace {

using kmlut::testing_support::CudaTest;

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
