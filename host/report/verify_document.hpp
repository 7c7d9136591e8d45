// The document of `kmlut verify --json`: {"tensors": [...], "summary": {...}}, non-finite numbers
// as null. Shared by the CLI and the Python module (kmlut.verify).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kmlut/verify.hpp"

namespace kmlut::reporting {

// "palettized" or "copied".
std::string verification_status(const TensorVerification& tensor);

nlohmann::ordered_json verify_document(const VerifyReport& report);

}  // namespace kmlut::reporting
