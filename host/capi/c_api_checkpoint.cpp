// kmlut.h, a checkpoint: kmlut_palettize_checkpoint over embed::palettize_checkpoint_job.
#include <cstdlib>
#include <cstring>

#include "host/capi/c_api_guard.hpp"
#include "host/capi/c_api_options.hpp"
#include "host/embed/checkpoint_job.hpp"
#include "kmlut/report.hpp"

namespace kmlut::capi {
namespace {

embed::CheckpointJobOptions job_options(const kmlut_checkpoint_options* given) {
  const kmlut_checkpoint_options options =
      read_options(given, kmlut_checkpoint_options_init, "kmlut_checkpoint_options");
  embed::CheckpointJobOptions out;
  out.config.path = text_or_empty(options.config_path);
  out.config.json = text_or_empty(options.config_json);
  out.config.preset = text_or_empty(options.preset);
  out.manifest = text_or_empty(options.manifest_path);
  out.backend = options.backend == nullptr ? "auto" : options.backend;
  out.threads = options.threads;
  out.pipeline.memory_budget = options.memory_budget;
  out.pipeline.seed = options.seed;
  out.pipeline.strict = options.strict != 0;
  out.force = options.force != 0;
  out.sensitivities = text_or_empty(options.sensitivities_path);
  return out;
}

// A copy the caller frees with kmlut_string_free (std::free).
char* malloc_copy(const std::string& text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr)
    throw std::bad_alloc();
  std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

kmlut_status palettize_checkpoint(const char* input, const char* output,
                                  const kmlut_checkpoint_options* options, char** report_json) {
  constexpr const char* kFunction = "kmlut_palettize_checkpoint";
  if (report_json != nullptr)
    *report_json = nullptr;
  if (input == nullptr)
    return null_argument(kFunction, "input");
  if (output == nullptr)
    return null_argument(kFunction, "output");
  const embed::CheckpointJobResult result =
      embed::palettize_checkpoint_job(input, output, job_options(options));
  if (report_json != nullptr)
    *report_json = malloc_copy(palettize_report_json(result.report, result.device));
  return KMLUT_OK;
}

}  // namespace
}  // namespace kmlut::capi

extern "C" void kmlut_checkpoint_options_init(kmlut_checkpoint_options* options) {
  if (options == nullptr)
    return;
  std::memset(static_cast<void*>(options), 0, sizeof *options);
  options->struct_size = sizeof *options;
}

extern "C" kmlut_status kmlut_palettize_checkpoint(const char* input, const char* output,
                                                   const kmlut_checkpoint_options* options,
                                                   char** report_json) {
  return kmlut::capi::guarded(
      [&] { return kmlut::capi::palettize_checkpoint(input, output, options, report_json); });
}

extern "C" void kmlut_string_free(char* text) {
  std::free(text);
}
