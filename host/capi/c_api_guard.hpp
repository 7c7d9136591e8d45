// The one place C++ exceptions stop at the C ABI: every kmlut.h function runs its body through
// guarded(), which maps the exception to a kmlut_status and keeps its message for
// kmlut_last_error().
#pragma once

#include <string>

#include "kmlut/kmlut.h"

namespace kmlut::capi {

// Records `message` as the calling thread's last error and returns `status`.
kmlut_status fail(kmlut_status status, const std::string& message);

// Throws nothing: runs body() (which returns kmlut_status) and maps whatever it throws.
template <typename Body>
kmlut_status guarded(Body&& body) noexcept;

// The exception in flight as a status (records its message); call only from a catch block.
kmlut_status status_of_current_exception() noexcept;

template <typename Body>
kmlut_status guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return status_of_current_exception();
  }
}

// A null pointer argument: records the message and returns KMLUT_ERROR_INVALID_ARGUMENT.
kmlut_status null_argument(const char* function, const char* argument);

}  // namespace kmlut::capi
