#include "kmlut/dtype.hpp"

#include <array>
#include <cstddef>

namespace kmlut {
namespace {

struct DTypeTraits {
  DType dtype;
  std::string_view name;
  unsigned bits;
};

// One row per enumerator, in enum order, so a dtype's row is at index static_cast<size_t>(dtype).
constexpr std::array<DTypeTraits, 22> kDTypes = {{
    {DType::BOOL, "BOOL", 8},
    {DType::F4, "F4", 4},
    {DType::F6_E2M3, "F6_E2M3", 6},
    {DType::F6_E3M2, "F6_E3M2", 6},
    {DType::U8, "U8", 8},
    {DType::I8, "I8", 8},
    {DType::F8_E5M2, "F8_E5M2", 8},
    {DType::F8_E4M3, "F8_E4M3", 8},
    {DType::F8_E8M0, "F8_E8M0", 8},
    {DType::F8_E4M3FNUZ, "F8_E4M3FNUZ", 8},
    {DType::F8_E5M2FNUZ, "F8_E5M2FNUZ", 8},
    {DType::I16, "I16", 16},
    {DType::U16, "U16", 16},
    {DType::F16, "F16", 16},
    {DType::BF16, "BF16", 16},
    {DType::I32, "I32", 32},
    {DType::U32, "U32", 32},
    {DType::F32, "F32", 32},
    {DType::C64, "C64", 64},
    {DType::F64, "F64", 64},
    {DType::I64, "I64", 64},
    {DType::U64, "U64", 64},
}};

constexpr bool table_follows_enum_order() {
  for (std::size_t i = 0; i < kDTypes.size(); ++i) {
    if (static_cast<std::size_t>(kDTypes[i].dtype) != i) {
      return false;
    }
  }
  return static_cast<std::size_t>(DType::U64) + 1 == kDTypes.size();
}
static_assert(table_follows_enum_order(), "kDTypes must list every DType in enum order");

const DTypeTraits& traits(DType dtype) {
  return kDTypes[static_cast<std::size_t>(dtype)];
}

}  // namespace

std::string_view dtype_name(DType dtype) noexcept {
  return traits(dtype).name;
}

std::optional<DType> parse_dtype(std::string_view name) noexcept {
  for (const DTypeTraits& row : kDTypes) {
    if (row.name == name) {
      return row.dtype;
    }
  }
  return std::nullopt;
}

unsigned dtype_bits(DType dtype) noexcept {
  return traits(dtype).bits;
}

unsigned dtype_alignment(DType dtype) noexcept {
  const unsigned bytes = dtype_bits(dtype) / 8;
  return bytes == 0 ? 1 : bytes;
}

bool is_palettizable_dtype(DType dtype) noexcept {
  return dtype == DType::F64 || dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i)
    text += (i == 0 ? "" : ",") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace kmlut
