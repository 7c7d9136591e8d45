// palettize_many(): numpy arrays or torch tensors in without a copy (nanobind's ndarray: the
// buffer protocol or DLPack), one backend batch with the GIL released, the parts out as uint8 views
// into each result, which python/kmlut/ gives their dtype and shape.
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>

#include "host/embed/tensor_palettization.hpp"
#include "host/python/bindings.hpp"
#include "kmlut/config_io.hpp"
#include "kmlut/error.hpp"

namespace nb = nanobind;

namespace kmlut::python {
namespace {

// Read-only, C-contiguous, in host memory: anything else is copied once by nanobind on the way in.
using InputArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;
using ByteArray = nb::ndarray<nb::numpy, std::uint8_t, nb::ndim<1>>;

DType dtype_of(const InputArray& array, const char* argument) {
  const nb::dlpack::dtype type = array.dtype();
  const auto code = static_cast<nb::dlpack::dtype_code>(type.code);
  if (type.lanes == 1 && code == nb::dlpack::dtype_code::Float) {
    if (type.bits == 16)
      return DType::F16;
    if (type.bits == 32)
      return DType::F32;
    if (type.bits == 64)
      return DType::F64;
  }
  if (type.lanes == 1 && code == nb::dlpack::dtype_code::Bfloat && type.bits == 16)
    return DType::BF16;
  throw ConfigError(std::string(argument) +
                    ": expected float16, bfloat16, float32 or float64 elements");
}

TensorView view_of(const InputArray& array, const char* argument) {
  TensorView view;
  view.dtype = dtype_of(array, argument);
  for (std::size_t axis = 0; axis < array.ndim(); ++axis)
    view.shape.push_back(static_cast<std::int64_t>(array.shape(axis)));
  view.data = array.data();
  return view;
}

// The inputs stay referenced by the result: nothing it views is freed while it lives.
struct PyTensorResult {
  embed::TensorPalettization palettization;
  InputArray weight;
  std::optional<InputArray> sensitivity;
};

// The part as a uint8 view owned by `self` (no copy), its dtype name and shape; None when absent.
nb::object part(nb::handle self, embed::PartKind kind) {
  const embed::Part* found = nb::cast<PyTensorResult&>(self).palettization.part(kind);
  if (found == nullptr)
    return nb::none();
  const std::size_t size = found->bytes.size;
  ByteArray bytes(const_cast<std::uint8_t*>(found->bytes.data), {size}, self);
  return nb::make_tuple(bytes, std::string(dtype_name(found->dtype)), found->shape);
}

// One tensor of a palettize_many() call, as python/kmlut/ passes it.
struct PyTensorRequest {
  std::string name;
  InputArray weight;
  std::string spec_json;
  bool fast_mode = true;
  int rounding_precision = 4;
  std::optional<InputArray> sensitivity;
  std::string op_type;
};

// All requests as one backend batch, the GIL released while it runs.
std::vector<PyTensorResult> palettize_many(const std::vector<PyTensorRequest>& tensors,
                                           const std::string& backend, int threads,
                                           std::uint64_t seed) {
  std::vector<embed::TensorRequest> requests;
  for (const PyTensorRequest& tensor : tensors) {
    embed::TensorRequest request;
    request.name = tensor.name;
    request.weight = view_of(tensor.weight, "weight");
    request.spec = spec_from_json(tensor.spec_json, tensor.name + ": spec");
    request.cluster.fast_mode = tensor.fast_mode;
    request.cluster.rounding_precision = tensor.rounding_precision;
    request.cluster.seed = seed;
    request.cluster.op_type = tensor.op_type;
    if (tensor.sensitivity)
      request.cluster.sensitivity = view_of(*tensor.sensitivity, "sensitivity");
    requests.push_back(std::move(request));
  }
  std::vector<embed::TensorPalettization> done;
  {
    nb::gil_scoped_release released;
    done = embed::palettize_tensors(requests, {backend, threads});
  }
  std::vector<PyTensorResult> results;
  for (std::size_t i = 0; i < done.size(); ++i)
    results.push_back({std::move(done[i]), tensors[i].weight, tensors[i].sensitivity});
  return results;
}

}  // namespace

void bind_tensor(nb::module_& module) {
  nb::enum_<embed::PartKind>(module, "PartKind")
      .value("lut", embed::PartKind::Lut)
      .value("packed_indices", embed::PartKind::PackedIndices)
      .value("indices", embed::PartKind::Indices)
      .value("scale", embed::PartKind::Scale)
      .value("lut_scale", embed::PartKind::LutScale)
      .value("lut_zero_point", embed::PartKind::LutZeroPoint);
  nb::class_<PyTensorResult>(module, "TensorResult")
      .def_prop_ro("palettized",
                   [](const PyTensorResult& r) { return r.palettization.result.palettized; })
      .def_prop_ro("skip_reason",
                   [](const PyTensorResult& r) -> std::optional<std::string> {
                     const std::string& reason = r.palettization.result.skip_reason;
                     return reason.empty() ? std::nullopt : std::optional<std::string>(reason);
                   })
      .def_prop_ro("sse", [](const PyTensorResult& r) { return r.palettization.result.sse; })
      .def_prop_ro("weight_sq_norm",
                   [](const PyTensorResult& r) { return r.palettization.result.weight_sq_norm; })
      .def_prop_ro("dtype",
                   [](const PyTensorResult& r) {
                     return std::string(dtype_name(r.palettization.request.weight.dtype));
                   })
      .def_prop_ro("shape",
                   [](const PyTensorResult& r) { return r.palettization.request.weight.shape; })
      .def("part", &part, nb::arg("kind"),
           "(uint8 bytes, dtype name, shape) of a stored part, or None")
      .def(
          "dense_bytes",
          [](const PyTensorResult& r) {
            auto dense = std::make_unique<std::vector<std::uint8_t>>();
            {
              nb::gil_scoped_release released;
              *dense = r.palettization.dense();
            }
            const std::size_t size = dense->size();
            std::uint8_t* data = dense->data();
            nb::capsule owner(dense.release(), [](void* vector) noexcept {
              delete static_cast<std::vector<std::uint8_t>*>(vector);
            });
            return ByteArray(data, {size}, owner);
          },
          "the reconstruction's bytes in the weight's dtype");
  nb::class_<PyTensorRequest>(module, "TensorRequest")
      .def(
          "__init__",
          [](PyTensorRequest* self, std::string name, InputArray weight, std::string spec_json,
             bool fast_mode, int rounding_precision, std::optional<InputArray> sensitivity,
             std::string op_type) {
            new (self) PyTensorRequest{std::move(name),      weight,
                                       std::move(spec_json), fast_mode,
                                       rounding_precision,   std::move(sensitivity),
                                       std::move(op_type)};
          },
          nb::arg("name"), nb::arg("weight"), nb::arg("spec_json"), nb::arg("fast_mode"),
          nb::arg("rounding_precision"), nb::arg("sensitivity").none(), nb::arg("op_type"));
  module.def("palettize_many", &palettize_many, nb::arg("tensors"), nb::arg("backend"),
             nb::arg("threads"), nb::arg("seed"));
}

}  // namespace kmlut::python
