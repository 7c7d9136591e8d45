// The four float formats a weight may have, as compile-time traits: how an element is read, how a
// value is rounded into the format (ties to even), and the arithmetic torch performs in it for the
// per-channel scale (float math for the 16-bit formats, rounded once to the format).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "kmlut/dtype.hpp"
#include "kmlut/numeric/float_formats.hpp"

namespace kmlut::cpu {

template <DType D>
struct WeightFormat;

template <>
struct WeightFormat<DType::F64> {
  using Storage = double;
  static bool is_finite(Storage v) { return std::isfinite(v); }
  static double to_double(Storage v) { return v; }
  static Storage from_double(double v) { return v; }
  static Storage divide(Storage a, Storage b) { return a / b; }
  static Storage multiply(Storage a, Storage b) { return a * b; }
};

template <>
struct WeightFormat<DType::F32> {
  using Storage = float;
  static bool is_finite(Storage v) { return std::isfinite(v); }
  static double to_double(Storage v) { return v; }
  static Storage from_double(double v) { return static_cast<float>(v); }
  static Storage divide(Storage a, Storage b) { return a / b; }
  static Storage multiply(Storage a, Storage b) { return a * b; }
};

template <>
struct WeightFormat<DType::F16> {
  using Storage = std::uint16_t;
  static bool is_finite(Storage v) { return (v & 0x7C00u) != 0x7C00u; }  // exponent not all ones
  static double to_double(Storage v) { return numeric::half_bits_to_float(v); }
  static Storage from_double(double v) { return numeric::double_to_half_bits(v); }
  static Storage divide(Storage a, Storage b) {
    return numeric::float_to_half_bits(numeric::half_bits_to_float(a) /
                                       numeric::half_bits_to_float(b));
  }
  static Storage multiply(Storage a, Storage b) {
    return numeric::float_to_half_bits(numeric::half_bits_to_float(a) *
                                       numeric::half_bits_to_float(b));
  }
};

template <>
struct WeightFormat<DType::BF16> {
  using Storage = std::uint16_t;
  static bool is_finite(Storage v) { return (v & 0x7F80u) != 0x7F80u; }
  static double to_double(Storage v) { return numeric::bf16_bits_to_float(v); }
  static Storage from_double(double v) {
    return numeric::float_to_bf16_bits(numeric::double_to_float_round_to_odd(v));
  }
  static Storage divide(Storage a, Storage b) {
    return numeric::float_to_bf16_bits(numeric::bf16_bits_to_float(a) /
                                       numeric::bf16_bits_to_float(b));
  }
  static Storage multiply(Storage a, Storage b) {
    return numeric::float_to_bf16_bits(numeric::bf16_bits_to_float(a) *
                                       numeric::bf16_bits_to_float(b));
  }
};

template <DType D>
struct FormatTag {
  static constexpr DType dtype = D;
  using Format = WeightFormat<D>;
  using Storage = typename Format::Storage;
};

// Calls fn(FormatTag<D>{}) for the tensor's dtype; only the palettizable dtypes are accepted.
template <class Fn>
decltype(auto) with_weight_format(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::F64:
      return fn(FormatTag<DType::F64>{});
    case DType::F32:
      return fn(FormatTag<DType::F32>{});
    case DType::F16:
      return fn(FormatTag<DType::F16>{});
    case DType::BF16:
      return fn(FormatTag<DType::BF16>{});
    default:
      throw std::invalid_argument("dtype " + std::string(dtype_name(dtype)) +
                                  " cannot be palettized");
  }
}

template <class Storage>
Storage load_element(const void* data, std::uint64_t index) {
  Storage value;
  std::memcpy(&value, static_cast<const unsigned char*>(data) + index * sizeof(Storage),
              sizeof(Storage));
  return value;
}

}  // namespace kmlut::cpu
