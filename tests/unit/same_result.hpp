// One comparison of two backends' results for one request (the CUDA backend or its kernels on the
// fake device against the CPU backend): every output byte equal, LUT quantization included; the
// error sums equal to the last bits, since they add the same terms in another order.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "kmlut/palettize.hpp"

namespace kmlut::testing_support {

// "name (F16, 4 bits, scale, fast)": what a failing comparison names.
inline std::string request_label(const PalettizeRequest& request) {
  return request.name + " (" + std::string(dtype_name(request.weight.dtype)) + ", " +
         std::to_string(request.spec.n_bits) + " bits" +
         (request.spec.enable_per_channel_scale ? ", scale" : "") +
         (request.enable_fast_kmeans_mode ? ", fast" : "") + ")";
}

inline void expect_same_result(const PalettizeResult& got, const PalettizeResult& expected,
                               const std::string& label) {
  ASSERT_EQ(got.palettized, expected.palettized) << label << ": " << expected.skip_reason;
  EXPECT_EQ(got.skip_reason, expected.skip_reason) << label;
  EXPECT_EQ(got.lut_dtype, expected.lut_dtype) << label;
  EXPECT_EQ(got.lut_shape, expected.lut_shape) << label;
  EXPECT_EQ(got.num_luts, expected.num_luts) << label;
  EXPECT_EQ(got.lut, expected.lut) << label << ": LUT bytes";
  EXPECT_EQ(got.lut_scale, expected.lut_scale) << label << ": LUT scale bytes";
  EXPECT_EQ(got.lut_zero_point, expected.lut_zero_point) << label << ": LUT zero points";
  EXPECT_EQ(got.index_shape, expected.index_shape) << label;
  EXPECT_EQ(got.indices, expected.indices) << label << ": indices";
  EXPECT_EQ(got.packed_indices, expected.packed_indices) << label << ": packed indices";
  EXPECT_EQ(got.scale_shape, expected.scale_shape) << label;
  EXPECT_EQ(got.scale, expected.scale) << label << ": scale bytes";
  EXPECT_EQ(got.unique_path_blocks, expected.unique_path_blocks) << label;
  EXPECT_NEAR(got.sse, expected.sse, 1e-12 * expected.sse + 1e-300) << label << ": SSE";
  EXPECT_NEAR(got.weight_sq_norm, expected.weight_sq_norm, 1e-12 * expected.weight_sq_norm)
      << label;
}

}  // namespace kmlut::testing_support
