// `kmlut plan`: the resolved job list of a checkpoint, without reading tensor data.
#include <iostream>
#include <memory>

#include "host/cli/cli_input.hpp"
#include "host/cli/commands.hpp"
#include "host/report/plan_json.hpp"
#include "host/report/text_table.hpp"
#include "kmlut/plan.hpp"

namespace kmlut::cli {
namespace {

struct PlanOptions {
  std::string input;
  ConfigOptions config;
  bool json = false;
};

std::string spec_summary(const PalettizationSpec& spec) {
  std::string text = std::to_string(spec.n_bits) + "-bit ";
  if (spec.granularity.type == GranularityType::PerTensor) {
    text += "per_tensor";
  } else {
    text += "group " + std::to_string(spec.granularity.group_size) + " axis " +
            std::to_string(spec.granularity.axis.value_or(0));
  }
  if (spec.cluster_dim > 1)
    text += " cluster_dim " + std::to_string(spec.cluster_dim);
  if (spec.enable_per_channel_scale)
    text += " +scale";
  if (spec.lut_qspec) {
    text += spec.lut_qspec->dtype == LutDType::Int8 ? " lut int8" : " lut uint8";
  }
  return text;
}

void print_table(const Plan& plan, std::ostream& out) {
  reporting::TextTable table({"tensor", "dtype", "shape", "op", "spec", "decided by"});
  for (const Job& job : plan.jobs) {
    table.add_row({job.tensor, std::string(dtype_name(job.dtype)),
                   reporting::format_shape(job.shape), job.op_type.empty() ? "-" : job.op_type,
                   job.spec ? spec_summary(*job.spec) : "-", job.decided_by});
  }
  table.print(out);
  out << plan.jobs.size() << " tensors, " << plan.palettized_count() << " to palettize\n";
}

void run_plan(const PlanOptions& options) {
  const embed::ResolvedPlan resolved = embed::plan_checkpoint(
      options.input, config_source(options.config), options.config.manifest_path);
  if (!options.json) {
    print_table(resolved.plan, std::cout);
    for (const std::string& note : resolved.ignored_keys)
      std::cout << "ignored " << note << '\n';
    return;
  }
  std::cout << reporting::plan_to_json(resolved.plan, resolved.ignored_keys).dump(2) << '\n';
}

}  // namespace

void add_plan_command(CLI::App& app) {
  auto options = std::make_shared<PlanOptions>();
  CLI::App* command = app.add_subcommand(
      "plan", "Show which tensors would be palettized with which spec (reads no tensor data)");
  command
      ->add_option("INPUT", options->input,
                   "a .safetensors file, an index .json, or a directory holding either")
      ->required();
  add_config_options(*command, options->config);
  command->add_flag("--json", options->json, "print {\"jobs\": [...]} as JSON");
  command->callback([options] { run_plan(*options); });
}

}  // namespace kmlut::cli
