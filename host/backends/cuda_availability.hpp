// Whether this process can run the CUDA backend, for the callers that choose a backend
// (backend_registry.cpp) or report on one (probe/parity_probe.cpp).
#pragma once

#include <string>

namespace kmlut {

// Why the CUDA backend cannot run here (a build without it, no driver, no device, a compute
// capability this build has no code for), or "" when it can. Never throws.
std::string cuda_unusable_reason();

}  // namespace kmlut
