#include "host/embed/checkpoint_job.hpp"

#include <memory>
#include <optional>

#include "host/pipeline/output_policy.hpp"
#include "host/report/machine_info.hpp"
#include "kmlut/config_io.hpp"
#include "kmlut/error.hpp"
#include "kmlut/model.hpp"

namespace kmlut::embed {
namespace {

std::vector<TensorInfo> tensor_infos(const Checkpoint& checkpoint) {
  std::vector<TensorInfo> infos;
  infos.reserve(checkpoint.tensors().size());
  for (const Checkpoint::TensorRef& ref : checkpoint.tensors())
    infos.push_back(*ref.info);
  return infos;
}

Plan resolve(const KMeansPalettizerConfig& config, const Checkpoint& checkpoint,
             const std::filesystem::path& manifest) {
  const std::vector<TensorInfo> tensors = tensor_infos(checkpoint);
  const ModelDescription model =
      manifest.empty() ? infer_model_description(tensors) : load_manifest(manifest, tensors);
  return resolve_plan(config, model, tensors);
}

}  // namespace

KMeansPalettizerConfig load_config_source(const ConfigSource& source) {
  const int given = !source.path.empty() + !source.json.empty() + !source.preset.empty();
  if (given > 1)
    throw ConfigError("give one config: a path, a JSON document or a preset");
  if (!source.path.empty())
    return load_config(source.path);
  if (!source.json.empty())
    return config_from_json(source.json, "<config>");
  if (!source.preset.empty())
    return KMeansPalettizerConfig::preset(source.preset);
  return KMeansPalettizerConfig{};
}

ResolvedPlan plan_checkpoint(const std::filesystem::path& input, const ConfigSource& config,
                             const std::filesystem::path& manifest) {
  const KMeansPalettizerConfig resolved_config = load_config_source(config);  // errors first
  return {resolve(resolved_config, Checkpoint::open(input), manifest),
          resolved_config.ignored_keys};
}

CheckpointJobResult palettize_checkpoint_job(const std::filesystem::path& input,
                                             const std::filesystem::path& output,
                                             const CheckpointJobOptions& options,
                                             const ProgressCallback& progress) {
  const KMeansPalettizerConfig config = load_config_source(options.config);  // errors first
  const Checkpoint checkpoint = Checkpoint::open(input);
  check_output_target(input, checkpoint, output, options.force);
  PipelineOptions pipeline = options.pipeline;
  std::optional<Checkpoint> sensitivities;
  if (!options.sensitivities.empty()) {
    sensitivities.emplace(Checkpoint::open(options.sensitivities));
    pipeline.sensitivities = &*sensitivities;
  }
  const Plan plan = resolve(config, checkpoint, options.manifest);
  const BackendChoice choice = choose_backend(options.backend, options.threads, options.devices);
  CheckpointJobResult result;
  result.device = reporting::device_description(choice.backend->name(), options.threads);
  if (options.on_start)
    options.on_start(plan, result.device, choice.reason);
  write_output_target(
      input, checkpoint, output, options.force, [&](const std::filesystem::path& target) {
        const PipelineRunner& run =
            options.run_pipeline ? options.run_pipeline : PipelineRunner(palettize_checkpoint);
        result.report = run(checkpoint, plan, target, *choice.backend, pipeline, progress);
      });
  return result;
}

}  // namespace kmlut::embed
