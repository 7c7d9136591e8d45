// Calls fn(FloatFormat<D>{}) for a request's dtype inside a kernel body: one launch serves tensors
// of every dtype, the branch is uniform over a thread block.
#pragma once

#include <cstdint>

#include "kmlut/dtype.hpp"
#include "kmlut/numeric/float_format.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

template <class Fn>
KMLUT_HD void with_float_format(std::uint8_t dtype, Fn&& fn) {
  switch (static_cast<DType>(dtype)) {
    case DType::F16:
      fn(numeric::FloatFormat<DType::F16>{});
      break;
    case DType::BF16:
      fn(numeric::FloatFormat<DType::BF16>{});
      break;
    case DType::F32:
      fn(numeric::FloatFormat<DType::F32>{});
      break;
    case DType::F64:
      fn(numeric::FloatFormat<DType::F64>{});
      break;
    default:
      break;  // the host sends only these four
  }
}

}  // namespace kmlut::cuda
