// Atomic read-modify-writes for the kernel bodies: CUDA's atomics on the device, the compiler's
// __atomic builtins on the host (the CPU grid executor runs a block's threads as real threads).
#pragma once

#include <cstdint>
#include <cstring>

#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

KMLUT_HD inline void atomic_add(std::uint32_t* target, std::uint32_t value) {
#if defined(__CUDA_ARCH__)
  atomicAdd(target, value);
#else
  __atomic_fetch_add(target, value, __ATOMIC_RELAXED);
#endif
}

KMLUT_HD inline void atomic_or(std::uint32_t* target, std::uint32_t value) {
#if defined(__CUDA_ARCH__)
  atomicOr(target, value);
#else
  __atomic_fetch_or(target, value, __ATOMIC_RELAXED);
#endif
}

// Used only where every addend is an integer below 2^53: the sum is then exact in any order.
KMLUT_HD inline void atomic_add(double* target, double value) {
#if defined(__CUDA_ARCH__)
  atomicAdd(target, value);
#else
  auto* word = reinterpret_cast<std::uint64_t*>(target);
  std::uint64_t expected = __atomic_load_n(word, __ATOMIC_RELAXED);
  for (;;) {
    double current;
    std::memcpy(&current, &expected, sizeof current);
    const double sum = current + value;
    std::uint64_t desired;
    std::memcpy(&desired, &sum, sizeof desired);
    if (__atomic_compare_exchange_n(word, &expected, desired, true, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED))
      return;
  }
#endif
}

}  // namespace kmlut::cuda
