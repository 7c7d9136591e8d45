// The scalar palettization kernels, written once for vectors of L 32-bit lanes (GCC/Clang vector
// extensions) and instantiated by one translation unit per SimdTarget, which compiles them with
// that target's flags. Everything here has internal linkage, so no copy compiled for a wider
// target can stand in for another translation unit's code. A run's last partial vector is padded
// into a full one, so every element goes through the same operations.
//
// Included only by scalar_kernels_<target>.cpp, each of which defines KMLUT_SIMD_LANES.
#include <cstring>

#include "host/backends/cpu/simd/scalar_kernels.hpp"

namespace kmlut::cpu {
namespace {

constexpr int kLanes = KMLUT_SIMD_LANES;
using Words = std::uint32_t __attribute__((vector_size(4 * kLanes)));
using Halves = std::uint16_t __attribute__((vector_size(2 * kLanes)));
using Floats = float __attribute__((vector_size(4 * kLanes)));
using ErrorDoubles = double __attribute__((vector_size(8 * kErrorLanes)));

// A whole vector is one constant-size copy (a plain vector load or store); only a run's last
// partial vector copies element by element, into zeros.
template <class Vector, class Element>
Vector load(const Element* from, std::size_t count) {
  Vector v{};
  if (count * sizeof(Element) == sizeof v) {
    std::memcpy(&v, from, sizeof v);
  } else {
    for (std::size_t i = 0; i < count; ++i)
      v[i] = from[i];
  }
  return v;
}

template <class Vector, class Element>
void store(const Vector& v, Element* to, std::size_t count) {
  if (count * sizeof(Element) == sizeof v) {
    std::memcpy(to, &v, sizeof v);
  } else {
    for (std::size_t i = 0; i < count; ++i)
      to[i] = v[i];
  }
}

// FastModeHistogram::key_of per lane: a negative pattern's bits flipped, a positive one's sign set.
Words key_of(Words pattern) {
  const Words negative = pattern >> 15;
  return pattern ^ (((Words{} - negative) & 0x7FFFu) | 0x8000u);
}

// numeric::float_to_half_bits per lane, without branches: the same result for every input.
Words half_bits(Words bits) {
  const Words sign = (bits >> 16) & 0x8000u;
  const Words magnitude = bits & 0x7FFFFFFFu;
  // Normal halves: drop 13 significand bits, ties to even.
  const Words normal = ((magnitude + 0xFFFu + ((magnitude >> 13) & 1u)) - 0x38000000u) >> 13;
  // Subnormal halves (|x| < 2^-14): adding 0.5 makes the float unit round x to a multiple of
  // 2^-24, ties to even, which is the subnormal's significand.
  Floats value;
  std::memcpy(&value, &magnitude, sizeof value);
  const Floats shifted = value + 0.5f;
  Words subnormal;
  std::memcpy(&subnormal, &shifted, sizeof subnormal);
  subnormal -= 0x3F000000u;
  Words half = magnitude >= 0x38800000u ? normal : subnormal;
  half = magnitude >= 0x477FF000u ? Words{} + 0x7C00u : half;  // rounds to ≥ 65520: inf
  half = magnitude > 0x7F800000u ? (0x7E00u | ((magnitude >> 13) & 0x3FFu)) : half;  // quiet nan
  return half | sign;
}

KeyRange reduce_range(Words low, Words high) {
  KeyRange range{low[0], high[0]};
  for (int lane = 1; lane < kLanes; ++lane) {
    range.min = low[lane] < range.min ? low[lane] : range.min;
    range.max = high[lane] > range.max ? high[lane] : range.max;
  }
  return range;
}

KeyRange keys_of_halves(const std::uint16_t* patterns, std::size_t n, std::uint16_t* keys) {
  Words low = Words{} + 0xFFFFFFFFu;
  Words high{};
  for (std::size_t i = 0; i < n; i += kLanes) {
    const std::size_t count = n - i < kLanes ? n - i : kLanes;
    Words key = key_of(__builtin_convertvector(load<Halves>(patterns + i, count), Words));
    store(__builtin_convertvector(key, Halves), keys + i, count);
    if (count < kLanes) {  // padding lanes repeat the first key: no effect on the range
      for (std::size_t lane = count; lane < kLanes; ++lane)
        key[lane] = key[0];
    }
    low = key < low ? key : low;
    high = key > high ? key : high;
  }
  return reduce_range(low, high);
}

KeyRange keys_of_floats(const float* values, std::size_t n, std::uint16_t* keys, bool* in_range) {
  Words low = Words{} + 0xFFFFFFFFu;
  Words high{};
  Words outside{};
  for (std::size_t i = 0; i < n; i += kLanes) {
    const std::size_t count = n - i < kLanes ? n - i : kLanes;
    const Floats value = load<Floats>(values + i, count);  // padding: +0, inside fp16's range
    Words bits;
    std::memcpy(&bits, &value, sizeof bits);
    Words key = key_of(half_bits(bits));
    store(__builtin_convertvector(key, Halves), keys + i, count);
    if (count < kLanes) {
      for (std::size_t lane = count; lane < kLanes; ++lane)
        key[lane] = key[0];
    }
    low = key < low ? key : low;
    high = key > high ? key : high;
    outside |= (bits & 0x7FFFFFFFu) > 0x477FE000u;  // |x| > 65504, or nan
  }
  bool any_outside = false;
  for (int lane = 0; lane < kLanes; ++lane)
    any_outside = any_outside || outside[lane] != 0;
  *in_range = !any_outside;
  return reduce_range(low, high);
}

void add_errors(const double* values, const std::uint8_t* indices, const double* lut, std::size_t n,
                ErrorLanes& lanes) {
  ErrorDoubles sse = load<ErrorDoubles>(lanes.sse, kErrorLanes);
  ErrorDoubles sq_norm = load<ErrorDoubles>(lanes.sq_norm, kErrorLanes);
  std::size_t i = 0;
  for (; i + kErrorLanes <= n; i += kErrorLanes) {
    ErrorDoubles centroid;
    for (int lane = 0; lane < kErrorLanes; ++lane)
      centroid[lane] = lut[indices[i + lane]];
    const ErrorDoubles value = load<ErrorDoubles>(values + i, kErrorLanes);
    const ErrorDoubles error = value - centroid;
    sse += error * error;
    sq_norm += value * value;
  }
  store(sse, lanes.sse, kErrorLanes);
  store(sq_norm, lanes.sq_norm, kErrorLanes);
  for (std::size_t lane = 0; i < n; ++i, ++lane) {  // the same operations, one lane at a time
    const double error = values[i] - lut[indices[i]];
    lanes.sse[lane] += error * error;
    lanes.sq_norm[lane] += values[i] * values[i];
  }
}

constexpr ScalarKernels kKernels{keys_of_halves, keys_of_floats, add_errors};

}  // namespace
}  // namespace kmlut::cpu
