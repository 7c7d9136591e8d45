// RandomStream: a small, fully specified pseudo-random generator (xoshiro256** seeded through
// SplitMix64). The vector path's results must be identical for a given --seed on every platform
// and standard library, which std::mt19937 + std::*_distribution do not promise. Host-device: the
// CUDA backend's k-means++ (kernels/bodies/kmeans_plus_plus_body.hpp) draws the CPU's numbers.
#pragma once

#include <cstdint>

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::numeric {

// One SplitMix64 step: also a good 64-bit mixer for deriving independent seeds.
KMLUT_HD inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A seed for stream `index` under `seed` (a block of a tensor, an init of a block, ...).
KMLUT_HD inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t state = seed ^ (index * 0xD1B54A32D192ED03ull);
  return splitmix64(state);
}

class RandomStream {
 public:
  KMLUT_HD explicit RandomStream(std::uint64_t seed) {
    for (std::uint64_t& word : state_)
      word = splitmix64(seed);
  }

  KMLUT_HD std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 random bits.
  KMLUT_HD double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n), n > 0; the modulo bias (n / 2^64) does not matter for sampling.
  KMLUT_HD std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  KMLUT_HD static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t state_[4];
};

}  // namespace kmlut::numeric
