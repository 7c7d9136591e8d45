#include "host/cli/exit_codes.hpp"

#include "kmlut/error.hpp"

namespace kmlut::cli {
namespace {

std::string& prefix() {
  static std::string text;
  return text;
}

}  // namespace

int exit_code_of(const std::exception& error) {
  if (dynamic_cast<const ConfigError*>(&error) != nullptr)
    return kUsageError;
  if (dynamic_cast<const InputError*>(&error) != nullptr)
    return kInvalidInput;
  return kRuntimeFailure;
}

std::string failure_line(int exit_code, const std::string& message) {
  const char* label = "error: ";
  if (exit_code == kUsageError)
    label = "";
  else if (exit_code == kInvalidInput)
    label = "invalid input: ";
  return stderr_prefix() + "kmlut: " + label + message;
}

std::string failure_line(const std::exception& error) {
  return failure_line(exit_code_of(error), error.what());
}

const std::string& stderr_prefix() {
  return prefix();
}

void set_stderr_prefix(std::string text) {
  prefix() = std::move(text);
}

}  // namespace kmlut::cli
