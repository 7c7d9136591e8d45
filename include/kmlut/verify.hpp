// Measuring a palettized checkpoint's error against its original (kmlut verify).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kmlut/checkpoint.hpp"
#include "kmlut/decode.hpp"

namespace kmlut {

// Error of a reconstruction Ŵ against the original W, in float64.
struct ErrorStats {
  std::uint64_t numel = 0;
  double sum_sq = 0.0;         // Σ W²
  double sse = 0.0;            // Σ (W − Ŵ)²
  double max_abs_error = 0.0;  // max |W − Ŵ|

  // ‖W − Ŵ‖ / ‖W‖: 0 when exact, +inf when W = 0 but Ŵ is not.
  double rel_error() const;
  // 10·log10(Σ W² / Σ (W − Ŵ)²): +inf when exact.
  double snr_db() const;
  void add(const ErrorStats& other);
};

struct TensorVerification {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  bool palettized = false;      // reconstructed from a kmlut entry, else a stored tensor
  bool identical = false;       // the bytes equal the original's
  bool values_compared = true;  // false for dtypes without a numeric reading (F8, F6, F4, C64),
                                // which are compared byte for byte and left out of the totals
  ErrorStats error;
};

struct VerifyReport {
  std::vector<TensorVerification> tensors;  // in the original's order
  std::size_t palettized_count = 0;
  // Over the float tensors only: integer tensors (ids, masks, counters) are copied exactly, and
  // their magnitudes would swamp the weights' norm in the relative error.
  ErrorStats total;
  ErrorStats palettized_total;  // over the palettized tensors
};

// Compares every tensor of `original` with its counterpart in `palettized` (reconstructed when
// palettized, else stored), one tensor at a time. A tensor missing from `palettized`, or with
// another shape or dtype, is an InputError naming it.
VerifyReport verify_checkpoint(const Checkpoint& original, const Checkpoint& palettized);

}  // namespace kmlut
