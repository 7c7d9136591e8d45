// `kmlut inspect`: the tensors, dtypes, shapes and metadata of a checkpoint or a kmlut output.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "host/cli/commands.hpp"
#include "host/report/text_table.hpp"
#include "kmlut/checkpoint.hpp"

namespace kmlut::cli {
namespace {

struct InspectOptions {
  std::string input;
  bool json = false;
};

std::uint64_t total_bytes(const Checkpoint& checkpoint) {
  std::uint64_t bytes = 0;
  for (const auto& ref : checkpoint.tensors())
    bytes += ref.info->nbytes();
  return bytes;
}

void print_text(const Checkpoint& checkpoint, std::ostream& out) {
  const bool sharded = checkpoint.layout() == Checkpoint::Layout::Sharded;
  out << checkpoint.source().string() << ": " << (sharded ? "sharded, " : "")
      << checkpoint.shards().size() << (checkpoint.shards().size() == 1 ? " file, " : " files, ")
      << checkpoint.tensors().size() << " tensors, "
      << reporting::format_bytes(total_bytes(checkpoint)) << "\n";
  for (const SafetensorsFile& shard : checkpoint.shards()) {
    for (const auto& [key, value] : shard.header().metadata) {
      out << "  metadata " << (sharded ? shard.path().filename().string() + " " : "") << key
          << " = " << value << "\n";
    }
  }
  out << "\n";
  std::vector<std::string> header{"tensor", "dtype", "shape", "bytes"};
  if (sharded)
    header.emplace_back("shard");
  reporting::TextTable table(header);
  for (const auto& ref : checkpoint.tensors()) {
    std::vector<std::string> row{ref.info->name, std::string(dtype_name(ref.info->dtype)),
                                 reporting::format_shape(ref.info->shape),
                                 std::to_string(ref.info->nbytes())};
    if (sharded)
      row.push_back(checkpoint.shards()[ref.shard].path().filename().string());
    table.add_row(std::move(row));
  }
  table.print(out);
}

void print_json(const Checkpoint& checkpoint, std::ostream& out) {
  nlohmann::ordered_json document;
  document["source"] = checkpoint.source().string();
  document["layout"] =
      checkpoint.layout() == Checkpoint::Layout::Sharded ? "sharded" : "single_file";
  document["files"] = nlohmann::ordered_json::array();
  for (const SafetensorsFile& shard : checkpoint.shards()) {
    nlohmann::ordered_json file;
    file["path"] = shard.path().string();
    file["metadata"] = nlohmann::ordered_json::object();
    for (const auto& [key, value] : shard.header().metadata)
      file["metadata"][key] = value;
    document["files"].push_back(std::move(file));
  }
  document["tensors"] = nlohmann::ordered_json::array();
  for (const auto& ref : checkpoint.tensors()) {
    document["tensors"].push_back({{"name", ref.info->name},
                                   {"dtype", std::string(dtype_name(ref.info->dtype))},
                                   {"shape", ref.info->shape},
                                   {"bytes", ref.info->nbytes()},
                                   {"file", ref.shard}});
  }
  out << document.dump(2) << '\n';
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* command = app.add_subcommand(
      "inspect", "Show the tensors, dtypes, shapes and metadata of a checkpoint");
  command
      ->add_option("FILE", options->input,
                   "a .safetensors file, an index .json, or a directory holding either")
      ->required();
  command->add_flag("--json", options->json, "print the same as JSON");
  command->callback([options] {
    const Checkpoint checkpoint = Checkpoint::open(options->input);
    if (options->json) {
      print_json(checkpoint, std::cout);
    } else {
      print_text(checkpoint, std::cout);
    }
  });
}

}  // namespace kmlut::cli
