// The LUT quantization phase (kernels/lut_quantization.cu launches it), after the clustering and
// before the assignment: each thread quantizes one problem's LUT of a request with lut_qspec
// (kmlut/numeric/lut_quantization.hpp, the CPU backend's code): its codes, scale and zero point,
// and the dequantized entries in place, against which the assignment phase measures the error.
// The indices stay those of the clustering, as on the CPU. A LUT has at most 256 entries: one
// thread each is plenty, and the arithmetic is the CPU's sequential one.
#pragma once

#include <cstdint>

#include "kernels/bodies/float_format_dispatch.hpp"
#include "kernels/scalar_batch.hpp"
#include "kmlut/numeric/host_device.hpp"
#include "kmlut/numeric/lut_quantization.hpp"

namespace kmlut::cuda {

constexpr unsigned kLutQuantizationThreads = 64;

// Thread t of block b quantizes problems[problem_ids[b·kLutQuantizationThreads + t]] if that is
// below `count` and its request asks for it.
template <class Thread>
KMLUT_HD void lut_quantization_body(const Thread& at, const DeviceRequest* requests,
                                    const DeviceProblem* problems, const std::uint32_t* problem_ids,
                                    std::uint32_t count) {
  const std::uint32_t i = at.block() * kLutQuantizationThreads + at.thread();
  if (i >= count)
    return;
  const DeviceProblem& problem = problems[problem_ids[i]];
  const DeviceRequest& request = requests[problem.request];
  if (request.lut_codes == nullptr || *request.status != 0)
    return;  // no lut_qspec, or flagged for the CPU by the first phases
  const std::uint64_t entries = std::uint64_t{1} << request.n_bits;
  float scratch[256];
  with_float_format(request.dtype, [&](auto format) {
    using Format = decltype(format);
    using Storage = typename Format::Storage;
    auto* lut = static_cast<Storage*>(request.lut) + problem.block * entries;
    const numeric::LutQuantization q = numeric::quantize_lut<Format>(
        lut, entries, request.lut_signed != 0, request.lut_symmetric != 0, scratch,
        request.lut_codes + problem.block * entries);
    static_cast<Storage*>(request.lut_scale)[problem.block] = Format::from_double(q.scale);
    request.lut_zero_point[problem.block] = static_cast<std::uint8_t>(q.zero_point);
  });
}

}  // namespace kmlut::cuda
