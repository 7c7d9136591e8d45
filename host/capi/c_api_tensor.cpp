// kmlut.h, one tensor: kmlut_palettize_tensor and the kmlut_result accessors over
// embed::palettize_tensor.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "host/capi/c_api_guard.hpp"
#include "host/capi/c_api_options.hpp"
#include "host/embed/tensor_palettization.hpp"
#include "kmlut/config_io.hpp"
#include "kmlut/error.hpp"

struct kmlut_result {
  kmlut::embed::TensorPalettization palettization;
};

namespace kmlut::capi {
namespace {

DType dtype_of(kmlut_dtype dtype) {
  switch (dtype) {
    case KMLUT_DTYPE_F16:
      return DType::F16;
    case KMLUT_DTYPE_BF16:
      return DType::BF16;
    case KMLUT_DTYPE_F32:
      return DType::F32;
    case KMLUT_DTYPE_F64:
      return DType::F64;
    case KMLUT_DTYPE_U8:
      return DType::U8;
    case KMLUT_DTYPE_I8:
      return DType::I8;
  }
  throw ConfigError("unknown kmlut_dtype " + std::to_string(static_cast<int>(dtype)));
}

kmlut_dtype c_dtype_of(DType dtype) {
  switch (dtype) {
    case DType::F16:
      return KMLUT_DTYPE_F16;
    case DType::BF16:
      return KMLUT_DTYPE_BF16;
    case DType::F32:
      return KMLUT_DTYPE_F32;
    case DType::F64:
      return KMLUT_DTYPE_F64;
    case DType::I8:
      return KMLUT_DTYPE_I8;
    default:
      return KMLUT_DTYPE_U8;  // the parts are only ever these six types
  }
}

std::optional<embed::PartKind> part_kind(kmlut_part part) {
  switch (part) {
    case KMLUT_PART_LUT:
      return embed::PartKind::Lut;
    case KMLUT_PART_PACKED_INDICES:
      return embed::PartKind::PackedIndices;
    case KMLUT_PART_INDICES:
      return embed::PartKind::Indices;
    case KMLUT_PART_SCALE:
      return embed::PartKind::Scale;
    case KMLUT_PART_LUT_SCALE:
      return embed::PartKind::LutScale;
    case KMLUT_PART_LUT_ZERO_POINT:
      return embed::PartKind::LutZeroPoint;
  }
  return std::nullopt;
}

struct TensorCall {
  embed::TensorRequest request;
  embed::RunOptions run;
};

TensorCall tensor_call(const kmlut_palettize_options* given, const TensorView& weight,
                       const PalettizationSpec& spec) {
  const kmlut_palettize_options options =
      read_options(given, kmlut_palettize_options_init, "kmlut_palettize_options");
  TensorCall call;
  call.request.weight = weight;
  call.request.spec = spec;
  embed::ClusterOptions& cluster = call.request.cluster;
  cluster.fast_mode = options.fast_mode != 0;
  cluster.rounding_precision = options.rounding_precision;
  cluster.seed = options.seed;
  cluster.op_type = text_or_empty(options.op_type);
  if (options.sensitivity != nullptr)
    cluster.sensitivity = {dtype_of(options.sensitivity_dtype), weight.shape, options.sensitivity};
  call.run.backend = options.backend == nullptr ? "auto" : options.backend;
  call.run.threads = options.threads;
  return call;
}

kmlut_status palettize_tensor(const void* data, kmlut_dtype dtype, const int64_t* shape,
                              size_t ndim, const char* spec_json,
                              const kmlut_palettize_options* options, kmlut_result** result) {
  constexpr const char* kFunction = "kmlut_palettize_tensor";
  if (result == nullptr)
    return null_argument(kFunction, "result");
  *result = nullptr;
  if (data == nullptr)
    return null_argument(kFunction, "data");
  if (shape == nullptr && ndim > 0)
    return null_argument(kFunction, "shape");
  if (spec_json == nullptr)
    return null_argument(kFunction, "spec_json");
  const TensorView weight{dtype_of(dtype), std::vector<std::int64_t>(shape, shape + ndim), data};
  for (std::int64_t dim : weight.shape) {
    if (dim < 0)
      throw ConfigError(std::string(kFunction) + ": negative dimension in shape " +
                        shape_text(weight.shape));
  }
  const TensorCall call = tensor_call(options, weight, spec_from_json(spec_json, "spec_json"));
  auto owned =
      std::make_unique<kmlut_result>(kmlut_result{embed::palettize_tensor(call.request, call.run)});
  *result = owned.release();
  return KMLUT_OK;
}

}  // namespace
}  // namespace kmlut::capi

using kmlut::capi::guarded;

extern "C" void kmlut_palettize_options_init(kmlut_palettize_options* options) {
  if (options == nullptr)
    return;
  std::memset(static_cast<void*>(options), 0, sizeof *options);
  options->struct_size = sizeof *options;
  options->fast_mode = 1;
  options->rounding_precision = 4;
  options->sensitivity_dtype = KMLUT_DTYPE_F32;
}

extern "C" kmlut_status kmlut_palettize_tensor(const void* data, kmlut_dtype dtype,
                                               const int64_t* shape, size_t ndim,
                                               const char* spec_json,
                                               const kmlut_palettize_options* options,
                                               kmlut_result** result) {
  return guarded([&] {
    return kmlut::capi::palettize_tensor(data, dtype, shape, ndim, spec_json, options, result);
  });
}

extern "C" int kmlut_result_palettized(const kmlut_result* result) {
  return result != nullptr && result->palettization.result.palettized ? 1 : 0;
}

extern "C" const char* kmlut_result_skip_reason(const kmlut_result* result) {
  return result == nullptr ? "" : result->palettization.result.skip_reason.c_str();
}

extern "C" double kmlut_result_sse(const kmlut_result* result) {
  return result == nullptr ? 0.0 : result->palettization.result.sse;
}

extern "C" int kmlut_result_part(const kmlut_result* result, kmlut_part part,
                                 kmlut_tensor_view* view) {
  if (view == nullptr)
    return 0;
  std::memset(static_cast<void*>(view), 0, sizeof *view);
  const std::optional<kmlut::embed::PartKind> kind = kmlut::capi::part_kind(part);
  if (result == nullptr || !kind)
    return 0;
  const kmlut::embed::Part* found = result->palettization.part(*kind);
  if (found == nullptr)
    return 0;
  const std::vector<std::int64_t>* shape = &found->shape;
  view->data = found->bytes.data;
  view->nbytes = found->bytes.size;
  view->dtype = kmlut::capi::c_dtype_of(found->dtype);
  view->ndim = shape->size();
  view->shape = shape->data();
  return 1;
}

extern "C" kmlut_status kmlut_result_dense(const kmlut_result* result, void* out,
                                           size_t out_bytes) {
  return guarded([&] {
    if (result == nullptr)
      return kmlut::capi::null_argument("kmlut_result_dense", "result");
    if (out == nullptr)
      return kmlut::capi::null_argument("kmlut_result_dense", "out");
    const std::vector<std::uint8_t> dense = result->palettization.dense();
    if (out_bytes != dense.size()) {
      return kmlut::capi::fail(KMLUT_ERROR_INVALID_ARGUMENT,
                               "kmlut_result_dense: out holds " + std::to_string(out_bytes) +
                                   " bytes; the tensor has " + std::to_string(dense.size()));
    }
    std::memcpy(out, dense.data(), dense.size());
    return KMLUT_OK;
  });
}

extern "C" void kmlut_result_free(kmlut_result* result) {
  delete result;
}
