// Element types of safetensors tensors, named and ordered as the reference implementation does
// (by increasing alignment).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmlut {

enum class DType : std::uint8_t {
  BOOL,
  F4,
  F6_E2M3,
  F6_E3M2,
  U8,
  I8,
  F8_E5M2,
  F8_E4M3,
  F8_E8M0,
  F8_E4M3FNUZ,
  F8_E5M2FNUZ,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  C64,
  F64,
  I64,
  U64,
};

// The safetensors spelling, e.g. "BF16".
std::string_view dtype_name(DType dtype) noexcept;

// Parses a safetensors dtype string; nullopt when it is not one.
std::optional<DType> parse_dtype(std::string_view name) noexcept;

// Bits per element (4 for F4, 6 for the F6 types, 8 for BOOL).
unsigned dtype_bits(DType dtype) noexcept;

// Natural alignment of the dtype in bytes (1 for sub-byte types); the writer orders by it.
unsigned dtype_alignment(DType dtype) noexcept;

// The float types a palettizer may cluster: F64, F32, F16, BF16 (coreai_opt's
// is_optimizable_tensor).
bool is_palettizable_dtype(DType dtype) noexcept;

// A shape as messages show it: "[4096,11008]".
std::string shape_text(const std::vector<std::int64_t>& shape);

}  // namespace kmlut
