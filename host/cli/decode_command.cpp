// `kmlut decode`: a kmlut v1 checkpoint back to dense safetensors in the original dtypes.
#include <iostream>
#include <memory>
#include <string>

#include "host/cli/commands.hpp"
#include "host/pipeline/output_policy.hpp"
#include "host/report/text_table.hpp"
#include "kmlut/checkpoint.hpp"
#include "kmlut/decode.hpp"

namespace kmlut::cli {
namespace {

struct DecodeOptions {
  std::string input;
  std::string output;
  bool force = false;
};

void run_decode(const DecodeOptions& options) {
  const Checkpoint input = Checkpoint::open(options.input);
  check_output_target(options.input, input, options.output, options.force);
  DecodeSummary summary;
  write_output_target(
      options.input, input, options.output, options.force,
      [&](const std::filesystem::path& target) { summary = decode_checkpoint(input, target); });
  std::cout << "decoded " << input.source().string() << " -> " << options.output << ": "
            << summary.palettized << " palettized tensors reconstructed, " << summary.copied
            << " copied, " << reporting::format_bytes(summary.bytes) << " in "
            << summary.files.size() << (summary.files.size() == 1 ? " file\n" : " files\n");
}

}  // namespace

void add_decode_command(CLI::App& app) {
  auto options = std::make_shared<DecodeOptions>();
  CLI::App* command = app.add_subcommand(
      "decode", "Reconstruct a palettized (kmlut v1) checkpoint as dense safetensors");
  command
      ->add_option("PALETTIZED", options->input,
                   "a kmlut v1 .safetensors file, an index .json, or a directory holding either")
      ->required();
  command
      ->add_option("OUTPUT", options->output,
                   "the dense file (single-file input) or directory (sharded or model directory "
                   "input)")
      ->required();
  command->add_flag("--force", options->force, "overwrite existing output files");
  command->callback([options] { run_decode(*options); });
}

}  // namespace kmlut::cli
