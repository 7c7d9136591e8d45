// The plan as `kmlut plan --json` prints it: {"jobs": [{"tensor", "shape", "dtype", "module",
// "module_type", "op", "op_type", "state", "spec", "enable_fast_kmeans_mode",
// "rounding_precision", "decided_by"}, ...]}, specs in the config schema's own field names.
// Shared by the CLI and the embedding API (kmlut.plan in Python).
#pragma once

#include <nlohmann/json.hpp>

#include "kmlut/plan.hpp"

namespace kmlut::reporting {

nlohmann::ordered_json plan_to_json(const Plan& plan);

}  // namespace kmlut::reporting
