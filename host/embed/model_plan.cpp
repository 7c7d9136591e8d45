#include "host/embed/model_plan.hpp"

#include "kmlut/model.hpp"

namespace kmlut::embed {

ResolvedPlan plan_model(const std::string& manifest_json, const std::vector<TensorInfo>& tensors,
                        const ConfigSource& config) {
  const KMeansPalettizerConfig resolved_config = load_config_source(config);
  return {
      resolve_plan(resolved_config, parse_manifest(manifest_json, "<module>", tensors), tensors),
      resolved_config.ignored_keys};
}

}  // namespace kmlut::embed
