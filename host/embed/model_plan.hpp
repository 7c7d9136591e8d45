// Resolving a config on an in-memory model (kmlut.torch): its description as a manifest
// (docs/manifest.md) and its parameters as tensor infos, instead of a checkpoint on disk.
#pragma once

#include <string>
#include <vector>

#include "host/embed/checkpoint_job.hpp"
#include "kmlut/plan.hpp"
#include "kmlut/safetensors.hpp"

namespace kmlut::embed {

// Throws ConfigError (the config) or InputError naming "<module>" (the manifest).
ResolvedPlan plan_model(const std::string& manifest_json, const std::vector<TensorInfo>& tensors,
                        const ConfigSource& config);

}  // namespace kmlut::embed
