// plan(), plan_model(), palettize_checkpoint(), decode() and verify() over the embedding layer;
// each returns the CLI's JSON document as text, which python/kmlut/ parses. The GIL is released
// while files are read and written; a progress callback takes it back for each event.
#include <nanobind/stl/function.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "host/embed/checkpoint_job.hpp"
#include "host/embed/model_plan.hpp"
#include "host/pipeline/output_policy.hpp"
#include "host/python/bindings.hpp"
#include "host/report/plan_json.hpp"
#include "host/report/verify_document.hpp"
#include "kmlut/decode.hpp"
#include "kmlut/error.hpp"
#include "kmlut/report.hpp"

namespace nb = nanobind;

namespace kmlut::python {
namespace {

embed::ConfigSource config_source(const std::string& path, const std::string& json,
                                  const std::string& preset) {
  return {path, json, preset};
}

std::string plan(const std::string& input, const std::string& config_path,
                 const std::string& config_json, const std::string& preset,
                 const std::string& manifest) {
  nb::gil_scoped_release released;
  const embed::ResolvedPlan resolved =
      embed::plan_checkpoint(input, config_source(config_path, config_json, preset), manifest);
  return reporting::plan_to_json(resolved.plan, resolved.ignored_keys).dump();
}

// (name, safetensors dtype, shape) of each parameter of an in-memory model.
using ParameterInfo = std::tuple<std::string, std::string, std::vector<std::int64_t>>;

std::string plan_model(const std::string& manifest_json,
                       const std::vector<ParameterInfo>& parameters, const std::string& config_path,
                       const std::string& config_json, const std::string& preset) {
  std::vector<TensorInfo> tensors;
  for (const auto& [name, dtype, shape] : parameters) {
    TensorInfo info;
    info.name = name;
    const std::optional<DType> parsed = parse_dtype(dtype);
    if (!parsed)
      throw ConfigError(name + ": unknown dtype " + dtype);
    info.dtype = *parsed;
    info.shape = shape;
    tensors.push_back(std::move(info));
  }
  nb::gil_scoped_release released;
  const embed::ResolvedPlan resolved =
      embed::plan_model(manifest_json, tensors, config_source(config_path, config_json, preset));
  return reporting::plan_to_json(resolved.plan, resolved.ignored_keys).dump();
}

using ProgressEvent =
    std::function<void(std::size_t, std::size_t, std::uint64_t, std::uint64_t, const std::string&)>;

std::string palettize_checkpoint(const std::string& input, const std::string& output,
                                 const std::string& config_path, const std::string& config_json,
                                 const std::string& preset, const std::string& manifest,
                                 const std::string& backend, int threads,
                                 std::uint64_t memory_budget, std::uint64_t seed, bool strict,
                                 bool force, const std::string& sensitivities,
                                 const ProgressEvent& on_progress) {
  embed::CheckpointJobOptions options;
  options.config = config_source(config_path, config_json, preset);
  options.manifest = manifest;
  options.backend = backend;
  options.threads = threads;
  options.pipeline.memory_budget = memory_budget;
  options.pipeline.seed = seed;
  options.pipeline.strict = strict;
  options.force = force;
  options.sensitivities = sensitivities;
  ProgressCallback progress;
  if (on_progress) {
    progress = [&on_progress](const PipelineProgress& p) {
      nb::gil_scoped_acquire held;
      on_progress(p.tensors_done, p.tensors_total, p.bytes_done, p.bytes_total, p.current);
    };
  }
  nb::gil_scoped_release released;
  const embed::CheckpointJobResult result =
      embed::palettize_checkpoint_job(input, output, options, progress);
  return palettize_report_json(result.report, result.device);
}

std::vector<std::string> decode(const std::string& input, const std::string& output, bool force) {
  nb::gil_scoped_release released;
  const Checkpoint checkpoint = Checkpoint::open(input);
  check_output(checkpoint, output, force);
  std::vector<std::string> files;
  for (const std::filesystem::path& file : decode_checkpoint(checkpoint, output).files)
    files.push_back(file.string());
  return files;
}

std::string verify(const std::string& original, const std::string& palettized) {
  nb::gil_scoped_release released;
  const Checkpoint original_checkpoint = Checkpoint::open(original);  // errors name it first
  const VerifyReport report = verify_checkpoint(original_checkpoint, Checkpoint::open(palettized));
  return reporting::verify_document(report).dump();
}

}  // namespace

void bind_checkpoint(nb::module_& module) {
  module.def("plan", &plan, nb::arg("input"), nb::arg("config_path"), nb::arg("config_json"),
             nb::arg("preset"), nb::arg("manifest"));
  module.def("plan_model", &plan_model, nb::arg("manifest_json"), nb::arg("parameters"),
             nb::arg("config_path"), nb::arg("config_json"), nb::arg("preset"));
  module.def("palettize_checkpoint", &palettize_checkpoint, nb::arg("input"), nb::arg("output"),
             nb::arg("config_path"), nb::arg("config_json"), nb::arg("preset"), nb::arg("manifest"),
             nb::arg("backend"), nb::arg("threads"), nb::arg("memory_budget"), nb::arg("seed"),
             nb::arg("strict"), nb::arg("force"), nb::arg("sensitivities"),
             nb::arg("progress").none());
  module.def("decode", &decode, nb::arg("input"), nb::arg("output"), nb::arg("force"));
  module.def("verify", &verify, nb::arg("original"), nb::arg("palettized"));
}

}  // namespace kmlut::python
