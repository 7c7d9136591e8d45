// kmlut._kmlut: the version and the error types, then the bindings of each concern. Config errors
// raise ValueError and bad files kmlut.InvalidFileError, with the CLI's messages; any other
// library error raises RuntimeError.
#include <nanobind/nanobind.h>

#include "host/python/bindings.hpp"
#include "kmlut/error.hpp"
#include "kmlut/version.hpp"

namespace nb = nanobind;

NB_MODULE(_kmlut, module) {
  module.doc() = "kmlut's native layer; use the kmlut package (docs/python.md)";
  module.attr("__version__") = kmlut::kVersion;
  nb::exception<kmlut::InputError>(module, "InvalidFileError");
  nb::register_exception_translator([](const std::exception_ptr& error, void*) {
    try {
      std::rethrow_exception(error);
    } catch (const kmlut::ConfigError& config_error) {
      PyErr_SetString(PyExc_ValueError, config_error.what());
    }
  });
  kmlut::python::bind_tensor(module);
  kmlut::python::bind_checkpoint(module);
}
