// Dispatch from a weight's runtime dtype to the compile-time float format traits
// (numeric::FloatFormat) that host code and the CUDA kernels share.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kmlut/dtype.hpp"
#include "kmlut/numeric/float_format.hpp"

namespace kmlut::palettize {

template <DType D>
struct FormatTag {
  static constexpr DType dtype = D;
  using Format = numeric::FloatFormat<D>;
  using Storage = typename Format::Storage;
};

// Calls fn(FormatTag<D>{}) for the tensor's dtype; only the palettizable dtypes are accepted.
template <class Fn>
decltype(auto) with_float_format(DType dtype, Fn&& fn) {
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

}  // namespace kmlut::palettize
