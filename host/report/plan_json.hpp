// The plan as `kmlut plan --json` prints it: {"jobs": [{"tensor", "shape", "dtype", "module",
// "module_type", "op", "op_type", "state", "spec", "enable_fast_kmeans_mode",
// "rounding_precision", "decided_by"}, ...], "ignored_keys": [...]}, specs in the config schema's
// own field names; ignored_keys lists the config's training-only keys (KMeansPalettizerConfig).
// Shared by the CLI and the embedding API (kmlut.plan in Python).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kmlut/plan.hpp"

namespace kmlut::reporting {

nlohmann::ordered_json plan_to_json(const Plan& plan, const std::vector<std::string>& ignored_keys);

}  // namespace kmlut::reporting
