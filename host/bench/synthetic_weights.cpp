#include "host/bench/synthetic_weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "host/backends/cpu/thread_pool.hpp"
#include "kmlut/error.hpp"
#include "kmlut/numeric/float_formats.hpp"

namespace kmlut::bench {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

// splitmix64's output function: a bijective 64-bit mix, good enough to turn a counter into
// independent-looking uniform bits.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A uniform double in (0, 1]: never 0, so its logarithm is finite.
double unit_interval(std::uint64_t bits) {
  return static_cast<double>((bits >> 11) + 1) * 0x1.0p-53;
}

// Student-t with 4 degrees of freedom: Z / sqrt(V / 4) with Z normal and V chi-square(4), which is
// -2 ln(U1 U2). Its variance is 4 / (4 - 2) = 2, hence the scale.
constexpr double kScale = kSyntheticWeightStd / 1.4142135623730950488;

// Values 2j and 2j+1 of a stream: one Box-Muller pair and two chi-squares, from four hashes.
void value_pair(std::uint64_t key, std::uint64_t pair, double* out) {
  const std::uint64_t counter = key + 4 * pair;
  const std::uint64_t a = mix(counter), b = mix(counter + 1);
  const std::uint64_t c = mix(counter + 2), d = mix(counter + 3);
  const double radius = std::sqrt(-2.0 * std::log(unit_interval(a)));
  const double angle = kTwoPi * unit_interval(b);
  // Two uniforms per chi-square, from the two 32-bit halves of one hash (+0.5: never 0).
  auto half_chi = [](std::uint64_t bits) {
    const double u1 = (static_cast<double>(bits >> 32) + 0.5) * 0x1.0p-32;
    const double u2 = (static_cast<double>(bits & 0xFFFFFFFFu) + 0.5) * 0x1.0p-32;
    return -0.5 * std::log(u1 * u2);  // V / 4
  };
  out[0] = kScale * radius * std::cos(angle) / std::sqrt(half_chi(c));
  out[1] = kScale * radius * std::sin(angle) / std::sqrt(half_chi(d));
}

void store(DType dtype, const double* values, std::size_t count, std::uint8_t* out) {
  for (std::size_t i = 0; i < count; ++i) {
    switch (dtype) {
      case DType::F16: {
        const std::uint16_t bits = numeric::double_to_half_bits(values[i]);
        std::memcpy(out + 2 * i, &bits, 2);
        break;
      }
      case DType::BF16: {
        const std::uint16_t bits =
            numeric::float_to_bf16_bits(numeric::double_to_float_round_to_odd(values[i]));
        std::memcpy(out + 2 * i, &bits, 2);
        break;
      }
      case DType::F32: {
        const float value = static_cast<float>(values[i]);
        std::memcpy(out + 4 * i, &value, 4);
        break;
      }
      default:
        std::memcpy(out + 8 * i, &values[i], 8);
        break;
    }
  }
}

}  // namespace

void llm_like_values(std::uint64_t seed, std::uint64_t stream, std::uint64_t first,
                     std::uint64_t count, double* out) {
  // Streams are far apart in counter space: 2^40 pairs each, more than any tensor needs.
  const std::uint64_t key = mix(seed) + (stream << 42);
  double pair[2];
  std::uint64_t index = first;
  const std::uint64_t end = first + count;
  while (index < end) {
    value_pair(key, index / 2, pair);
    for (std::uint64_t j = index % 2; j < 2 && index < end; ++j, ++index)
      *out++ = pair[j];
  }
}

std::vector<std::uint8_t> llm_like_tensor(DType dtype, std::uint64_t numel, std::uint64_t seed,
                                          std::uint64_t stream, unsigned threads) {
  if (dtype != DType::F16 && dtype != DType::BF16 && dtype != DType::F32 && dtype != DType::F64)
    throw Error("synthetic weights: unsupported dtype " + std::string(dtype_name(dtype)));
  const std::size_t element = dtype_bits(dtype) / 8;
  std::vector<std::uint8_t> bytes(numel * element);
  constexpr std::uint64_t kChunk = 1 << 16;
  const std::uint64_t chunks = (numel + kChunk - 1) / kChunk;
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::vector<double>> scratch(threads, std::vector<double>(kChunk));
  cpu::ThreadPool pool(threads);
  pool.run(chunks, [&](unsigned worker, std::size_t chunk) {
    const std::uint64_t first = chunk * kChunk;
    const std::uint64_t count = std::min(kChunk, numel - first);
    llm_like_values(seed, stream, first, count, scratch[worker].data());
    store(dtype, scratch[worker].data(), count, bytes.data() + first * element);
  });
  return bytes;
}

}  // namespace kmlut::bench
