// Reading and writing tensor elements as doubles, for reconstruction and error measurement.
// Safetensors data is little-endian, as is every host kmlut builds for.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

#include "kmlut/dtype.hpp"
#include "kmlut/numeric/float_formats.hpp"

namespace kmlut::detail {

template <class T>
T load(const std::uint8_t* base, std::uint64_t i) {
  T value;
  std::memcpy(&value, base + i * sizeof(T), sizeof(T));
  return value;
}

template <class T>
void store_raw(std::uint8_t* base, std::uint64_t i, T value) {
  std::memcpy(base + i * sizeof(T), &value, sizeof(T));
}

inline bool has_numeric_reading(DType dtype) {
  switch (dtype) {
    case DType::F64:
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::BOOL:
    case DType::I8:
    case DType::U8:
    case DType::I16:
    case DType::U16:
    case DType::I32:
    case DType::U32:
    case DType::I64:
    case DType::U64:
      return true;
    default:
      return false;
  }
}

// Element i of a tensor of `dtype` (one with has_numeric_reading) as a double.
inline double read_number(DType dtype, const std::uint8_t* base, std::uint64_t i) {
  switch (dtype) {
    case DType::F64:
      return load<double>(base, i);
    case DType::F32:
      return load<float>(base, i);
    case DType::F16:
      return numeric::half_bits_to_float(load<std::uint16_t>(base, i));
    case DType::BF16:
      return numeric::bf16_bits_to_float(load<std::uint16_t>(base, i));
    case DType::BOOL:
      return load<std::uint8_t>(base, i) != 0 ? 1.0 : 0.0;
    case DType::I8:
      return load<std::int8_t>(base, i);
    case DType::U8:
      return load<std::uint8_t>(base, i);
    case DType::I16:
      return load<std::int16_t>(base, i);
    case DType::U16:
      return load<std::uint16_t>(base, i);
    case DType::I32:
      return load<std::int32_t>(base, i);
    case DType::U32:
      return load<std::uint32_t>(base, i);
    case DType::I64:
      return static_cast<double>(load<std::int64_t>(base, i));
    case DType::U64:
      return static_cast<double>(load<std::uint64_t>(base, i));
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

// A float32 result rounded once to D (F32/F16/BF16), held exactly in a double. For D = F64 the
// callers compute in double instead.
inline double round_to(DType dtype, float value) {
  switch (dtype) {
    case DType::F16:
      return numeric::half_bits_to_float(numeric::float_to_half_bits(value));
    case DType::BF16:
      return numeric::bf16_bits_to_float(numeric::float_to_bf16_bits(value));
    default:
      return value;
  }
}

// Writes a value that D represents exactly (so the conversion does not round).
inline void store(DType dtype, std::uint8_t* base, std::uint64_t i, double value) {
  switch (dtype) {
    case DType::F64:
      store_raw(base, i, value);
      return;
    case DType::F16:
      store_raw(base, i, numeric::float_to_half_bits(static_cast<float>(value)));
      return;
    case DType::BF16:
      store_raw(base, i, numeric::float_to_bf16_bits(static_cast<float>(value)));
      return;
    default:
      store_raw(base, i, static_cast<float>(value));
      return;
  }
}

}  // namespace kmlut::detail
