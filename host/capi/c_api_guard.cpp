#include "host/capi/c_api_guard.hpp"

#include <exception>
#include <new>

#include "kmlut/error.hpp"
#include "kmlut/version.hpp"

namespace kmlut::capi {
namespace {

thread_local std::string last_error;

}  // namespace

kmlut_status fail(kmlut_status status, const std::string& message) {
  try {
    last_error = message;
  } catch (...) {
    last_error.clear();  // no memory for the message: the status still says what went wrong
  }
  return status;
}

kmlut_status status_of_current_exception() noexcept {
  try {
    throw;
  } catch (const ConfigError& error) {
    return fail(KMLUT_ERROR_CONFIG, error.what());
  } catch (const InputError& error) {
    return fail(KMLUT_ERROR_INPUT, error.what());
  } catch (const std::bad_alloc&) {
    return fail(KMLUT_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& error) {
    return fail(KMLUT_ERROR_RUNTIME, error.what());
  } catch (...) {
    return fail(KMLUT_ERROR_RUNTIME, "unknown error");
  }
}

kmlut_status null_argument(const char* function, const char* argument) {
  return fail(KMLUT_ERROR_INVALID_ARGUMENT,
              std::string(function) + ": " + argument + " must not be NULL");
}

}  // namespace kmlut::capi

extern "C" const char* kmlut_version(void) {
  return kmlut::kVersion;
}

extern "C" const char* kmlut_last_error(void) {
  return kmlut::capi::last_error.c_str();
}
