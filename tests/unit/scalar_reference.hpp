// Test-side helpers for the scalar palettizer: building weight tensors in every float format and
// an independent decoder of the kmlut v1 layout (docs/format.md), written from the spec, not from
// the library's code.
#pragma once

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kmlut/numeric/bit_packing.hpp"
#include "kmlut/numeric/float_formats.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut::testing_support {

// A weight tensor owning its bytes.
struct OwnedTensor {
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;

  TensorView view() const { return {dtype, shape, bytes.data()}; }
};

inline std::size_t element_bytes(DType dtype) {
  return dtype == DType::F64 ? 8 : dtype == DType::F32 ? 4 : 2;
}

// Test data of the kinds palettization must handle: heavy-tailed weights, well-separated clusters,
// heavy duplication, a few distinct values, one value, two values.
enum class Data { HeavyTailed, Mixture, Duplicates, FewDistinct, Constant, TwoValues };

inline std::vector<double> generate(Data data, std::size_t count, unsigned seed) {
  std::mt19937 generator(seed);
  std::student_t_distribution<double> t(4.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> pick(0, 39);
  std::vector<double> values(count);
  for (double& value : values) {
    switch (data) {
      case Data::HeavyTailed:
        value = 0.02 * t(generator);
        break;
      case Data::Mixture:
        value = 0.3 * (pick(generator) % 3 - 1) + 0.01 * normal(generator);
        break;
      case Data::Duplicates:
        value = 0.01 * pick(generator) - 0.2;
        break;
      case Data::FewDistinct:
        value = 0.125 * (pick(generator) % 5);
        break;
      case Data::Constant:
        value = 0.5;
        break;
      case Data::TwoValues:
        value = pick(generator) % 2 ? 0.25 : -1.5;
        break;
    }
  }
  return values;
}

// LLM-like weights: Student-t with 4 degrees of freedom, times `scale`.
inline std::vector<double> student_t(std::size_t count, unsigned seed, double scale = 0.02) {
  std::mt19937 generator(seed);
  std::student_t_distribution<double> t(4.0);
  std::vector<double> values(count);
  for (double& value : values)
    value = t(generator) * scale;
  return values;
}

// Stores doubles in `dtype` (rounded to nearest, ties to even).
inline OwnedTensor make_tensor(DType dtype, std::vector<std::int64_t> shape,
                               const std::vector<double>& values) {
  OwnedTensor tensor{dtype, std::move(shape),
                     std::vector<std::uint8_t>(values.size() * element_bytes(dtype))};
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint8_t* out = tensor.bytes.data() + i * element_bytes(dtype);
    if (dtype == DType::F64) {
      std::memcpy(out, &values[i], 8);
    } else if (dtype == DType::F32) {
      const float v = static_cast<float>(values[i]);
      std::memcpy(out, &v, 4);
    } else {
      const std::uint16_t v = dtype == DType::F16
                                  ? numeric::double_to_half_bits(values[i])
                                  : numeric::float_to_bf16_bits(static_cast<float>(values[i]));
      std::memcpy(out, &v, 2);
    }
  }
  return tensor;
}

inline double element_value(DType dtype, const std::uint8_t* data, std::size_t i) {
  const std::uint8_t* p = data + i * element_bytes(dtype);
  if (dtype == DType::F64) {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  if (dtype == DType::F32) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return dtype == DType::F16 ? numeric::half_bits_to_float(v) : numeric::bf16_bits_to_float(v);
}

// A value rounded to `dtype`, as the float math of torch rounds a product of two such values.
inline double round_to(DType dtype, double value) {
  if (dtype == DType::F32)
    return static_cast<float>(value);
  if (dtype == DType::F16)
    return numeric::half_bits_to_float(numeric::double_to_half_bits(value));
  if (dtype == DType::BF16)
    return numeric::bf16_bits_to_float(numeric::float_to_bf16_bits(static_cast<float>(value)));
  return value;
}

// Dense values from LUT + packed indices (+ scale): table t of element p is
// lut[p_0 / block_0, ..., p_{r-1} / block_{r-1}] with block_i = S[i] / lut_shape[i].
inline std::vector<double> decode(const PalettizeResult& result,
                                  const std::vector<std::int64_t>& shape, int n_bits) {
  const std::size_t rank = shape.size();
  std::size_t numel = 1;
  for (auto d : shape)
    numel *= static_cast<std::size_t>(d);
  const std::size_t entries = std::size_t{1} << n_bits;
  std::vector<double> out(numel);
  std::vector<std::size_t> position(rank, 0);
  for (std::size_t i = 0; i < numel; ++i) {
    std::size_t remainder = i;
    for (std::size_t axis = rank; axis-- > 0;) {
      position[axis] = remainder % static_cast<std::size_t>(shape[axis]);
      remainder /= static_cast<std::size_t>(shape[axis]);
    }
    std::size_t table = 0;
    for (std::size_t axis = 0; axis < rank; ++axis) {
      const auto luts = static_cast<std::size_t>(result.lut_shape[axis]);
      const std::size_t block = static_cast<std::size_t>(shape[axis]) / luts;
      table = table * luts + position[axis] / block;
    }
    const std::uint32_t index = numeric::unpack_index(result.packed_indices.data(), i, n_bits);
    double value = element_value(result.lut_dtype, result.lut.data(), table * entries + index);
    if (!result.scale.empty()) {
      const double scale = element_value(result.lut_dtype, result.scale.data(), position[0]);
      value = round_to(result.lut_dtype, value * scale);
    }
    out[i] = value;
  }
  return out;
}

}  // namespace kmlut::testing_support
