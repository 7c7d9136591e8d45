// The kmlut._kmlut extension (nanobind; a g++ translation unit per concern over the C++ library):
// the thin native layer under the pure-Python package python/kmlut/ (docs/python.md).
#pragma once

#include <nanobind/nanobind.h>

namespace kmlut::python {

// palettize() and its result type.
void bind_tensor(nanobind::module_& module);
// plan(), palettize_checkpoint(), decode(), verify().
void bind_checkpoint(nanobind::module_& module);

}  // namespace kmlut::python
