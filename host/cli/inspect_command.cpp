// `kmlut inspect`: what a checkpoint holds. For a kmlut v1 checkpoint, a table of the palettized
// tensors (how each is stored and what it costs) and a summary; the raw "kmlut.tensors" metadata
// only with --raw. The --json form is documented in docs/inspect.md.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "host/cli/commands.hpp"
#include "host/cli/palettized_summary.hpp"
#include "host/report/text_table.hpp"
#include "kmlut/checkpoint.hpp"
#include "kmlut/decode.hpp"
#include "kmlut/format.hpp"

namespace kmlut::cli {
namespace {

using Json = nlohmann::ordered_json;

struct InspectOptions {
  std::string input;
  bool json = false;
  bool raw = false;
};

std::string number(const char* format, double value) {
  char text[32];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

bool is_sharded(const Checkpoint& checkpoint) {
  return checkpoint.layout() == Checkpoint::Layout::Sharded;
}

std::string granularity_text(const PalettizedTensorSummary& tensor) {
  const PalettizedTensorInfo& info = tensor.entry->info;
  if (!info.group_axis)
    return "per tensor";
  return "groups of " + std::to_string(info.group_size.value_or(0)) + " on axis " +
         std::to_string(*info.group_axis);
}

// The metadata value as shown: the kmlut.tensors listing is raw detail, summarized unless --raw.
std::string shown_metadata(const std::string& key, const std::string& value, bool raw) {
  if (raw || key != kKmlutTensorsKey)
    return value;
  return "(" + std::to_string(value.size()) + " characters of JSON; --raw shows it)";
}

void print_header(const Checkpoint& checkpoint, const PalettizedSummary& summary, bool raw,
                  std::ostream& out) {
  const bool sharded = is_sharded(checkpoint);
  out << checkpoint.source().string() << ": " << (summary.tensors.empty() ? "" : "kmlut v1, ")
      << (sharded ? "sharded, " : "") << checkpoint.shards().size()
      << (checkpoint.shards().size() == 1 ? " file, " : " files, ") << checkpoint.tensors().size()
      << " stored tensors, " << reporting::format_bytes(summary.bytes_after) << "\n";
  for (const SafetensorsFile& shard : checkpoint.shards()) {
    for (const auto& [key, value] : shard.header().metadata) {
      out << "  metadata " << (sharded ? shard.path().filename().string() + " " : "") << key
          << " = " << shown_metadata(key, value, raw) << "\n";
    }
  }
}

void print_palettized_table(const PalettizedSummary& summary, std::ostream& out) {
  out << "\npalettized tensors\n";
  reporting::TextTable table({"tensor", "shape", "dtype", "n_bits", "granularity", "cluster_dim",
                              "LUTs", "LUT dtype", "per-channel scale", "before", "after"});
  for (const PalettizedTensorSummary& tensor : summary.tensors) {
    const PalettizedTensorInfo& info = tensor.entry->info;
    table.add_row({info.name, reporting::format_shape(info.shape),
                   std::string(dtype_name(info.dtype)), std::to_string(info.n_bits),
                   granularity_text(tensor), std::to_string(info.cluster_dim),
                   std::to_string(tensor.num_luts), std::string(dtype_name(tensor.lut_dtype)),
                   info.scale ? "yes" : "no", reporting::format_bytes(tensor.bytes_before),
                   reporting::format_bytes(tensor.bytes_after)});
  }
  table.print(out);
}

void print_stored_table(const Checkpoint& checkpoint, const std::vector<const TensorInfo*>& only,
                        std::ostream& out) {
  const bool sharded = is_sharded(checkpoint);
  std::vector<std::string> header{"tensor", "dtype", "shape", "bytes"};
  if (sharded)
    header.emplace_back("shard");
  reporting::TextTable table(header);
  for (const auto& ref : checkpoint.tensors()) {
    if (std::find(only.begin(), only.end(), ref.info) == only.end())
      continue;
    std::vector<std::string> row{ref.info->name, std::string(dtype_name(ref.info->dtype)),
                                 reporting::format_shape(ref.info->shape),
                                 std::to_string(ref.info->nbytes())};
    if (sharded)
      row.push_back(checkpoint.shards()[ref.shard].path().filename().string());
    table.add_row(std::move(row));
  }
  table.print(out);
}

void print_summary(const PalettizedSummary& summary, std::ostream& out) {
  out << "\nsummary\n  " << summary.tensors.size() << " tensors palettized, "
      << summary.dense.size()
      << " stored dense (copied, or skipped: the file does not say which; palettize --report "
         "does)\n";
  out << "  palettized tensors: " << reporting::format_bytes(summary.palettized_bytes_before)
      << " -> " << reporting::format_bytes(summary.palettized_bytes_after) << ", "
      << number("%.2f", summary.palettized_bits_per_weight()) << " bits per weight\n";
  out << "  overall: " << reporting::format_bytes(summary.bytes_before) << " -> "
      << reporting::format_bytes(summary.bytes_after) << ", "
      << number("%.2f", summary.bits_per_weight()) << " bits per weight, compression ratio "
      << number("%.2f", summary.compression_ratio()) << "x\n";
}

void print_text(const Checkpoint& checkpoint, const PalettizedSummary& summary, bool raw,
                std::ostream& out) {
  print_header(checkpoint, summary, raw, out);
  if (summary.tensors.empty()) {
    out << "\n";
    print_stored_table(checkpoint, summary.dense, out);
    return;
  }
  print_palettized_table(summary, out);
  out << "\nstored dense\n";
  print_stored_table(checkpoint, summary.dense, out);
  print_summary(summary, out);
}

Json palettized_entry(const Checkpoint& checkpoint, const PalettizedTensorSummary& tensor) {
  const PalettizedTensorInfo& info = tensor.entry->info;
  return {{"name", info.name},
          {"shape", info.shape},
          {"dtype", std::string(dtype_name(info.dtype))},
          {"n_bits", info.n_bits},
          {"granularity", tensor.granularity},
          {"group_axis", info.group_axis ? Json(*info.group_axis) : Json()},
          {"group_size", info.group_size ? Json(*info.group_size) : Json()},
          {"cluster_dim", info.cluster_dim},
          {"num_luts", tensor.num_luts},
          {"lut_dtype", std::string(dtype_name(tensor.lut_dtype))},
          {"per_channel_scale", info.scale.has_value()},
          {"bytes_before", tensor.bytes_before},
          {"bytes_after", tensor.bytes_after},
          {"file", checkpoint.shards()[tensor.entry->shard].path().filename().string()}};
}

Json summary_entry(const PalettizedSummary& summary) {
  return {{"palettized", summary.tensors.size()},
          {"stored_dense", summary.dense.size()},
          {"weights", summary.weights},
          {"bytes_before", summary.bytes_before},
          {"bytes_after", summary.bytes_after},
          {"bits_per_weight", summary.bits_per_weight()},
          {"palettized_bits_per_weight", summary.palettized_bits_per_weight()},
          {"compression_ratio", summary.compression_ratio()}};
}

void print_json(const Checkpoint& checkpoint, const PalettizedSummary& summary, bool raw,
                std::ostream& out) {
  Json document;
  document["source"] = checkpoint.source().string();
  document["layout"] = is_sharded(checkpoint) ? "sharded" : "single_file";
  document["format"] = summary.tensors.empty() ? "safetensors" : "kmlut v1";
  document["files"] = Json::array();
  for (const SafetensorsFile& shard : checkpoint.shards()) {
    Json file{{"path", shard.path().string()}, {"metadata", Json::object()}};
    for (const auto& [key, value] : shard.header().metadata) {
      if (raw || key != kKmlutTensorsKey)
        file["metadata"][key] = value;
    }
    document["files"].push_back(std::move(file));
  }
  document["tensors"] = Json::array();
  for (const auto& ref : checkpoint.tensors()) {
    document["tensors"].push_back({{"name", ref.info->name},
                                   {"dtype", std::string(dtype_name(ref.info->dtype))},
                                   {"shape", ref.info->shape},
                                   {"bytes", ref.info->nbytes()},
                                   {"file", ref.shard}});
  }
  document["palettized"] = Json::array();
  for (const PalettizedTensorSummary& tensor : summary.tensors)
    document["palettized"].push_back(palettized_entry(checkpoint, tensor));
  document["summary"] = summary_entry(summary);
  out << document.dump(2) << '\n';
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* command = app.add_subcommand(
      "inspect",
      "Show a checkpoint's tensors; for a kmlut v1 checkpoint how each tensor is palettized and "
      "what it costs");
  command
      ->add_option("FILE", options->input,
                   "a .safetensors file, an index .json, or a directory holding either")
      ->required();
  command->add_flag("--json", options->json, "print the same as JSON (docs/inspect.md)");
  command->add_flag("--raw", options->raw, "also show the raw kmlut.tensors metadata");
  command->callback([options] {
    const Checkpoint checkpoint = Checkpoint::open(options->input);
    const KmlutIndex index(checkpoint);
    const PalettizedSummary summary = summarize_palettized(checkpoint, index);
    if (options->json) {
      print_json(checkpoint, summary, options->raw, std::cout);
    } else {
      print_text(checkpoint, summary, options->raw, std::cout);
    }
  });
}

}  // namespace kmlut::cli
