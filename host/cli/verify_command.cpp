// `kmlut verify`: the error of a palettized checkpoint against its original, tensor by tensor.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "host/cli/commands.hpp"
#include "host/report/json_number.hpp"
#include "host/report/text_table.hpp"
#include "kmlut/checkpoint.hpp"
#include "kmlut/verify.hpp"

namespace kmlut::cli {
namespace {

using Json = nlohmann::ordered_json;

struct VerifyOptions {
  std::string original;
  std::string palettized;
  bool json = false;
};

std::string format_number(const char* format, double value) {
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string status(const TensorVerification& tensor) {
  return tensor.palettized ? "palettized" : "copied";
}

Json stats_json(const ErrorStats& stats) {
  return {{"rel_error", reporting::finite_or_null<Json>(stats.rel_error())},
          {"snr_db", reporting::finite_or_null<Json>(stats.snr_db())},
          {"max_abs_error", reporting::finite_or_null<Json>(stats.max_abs_error)},
          {"sse", reporting::finite_or_null<Json>(stats.sse)},
          {"numel", stats.numel}};
}

Json tensor_json(const TensorVerification& tensor) {
  Json entry{{"name", tensor.name},
             {"shape", tensor.shape},
             {"dtype", std::string(dtype_name(tensor.dtype))},
             {"status", status(tensor)},
             {"identical", tensor.identical}};
  const Json stats = tensor.values_compared ? stats_json(tensor.error) : Json();
  for (const char* key : {"rel_error", "snr_db", "max_abs_error", "sse"}) {
    entry[key] = tensor.values_compared ? stats[key] : Json();
  }
  return entry;
}

void print_json(const VerifyReport& report, std::ostream& out) {
  Json document;
  document["tensors"] = Json::array();
  for (const TensorVerification& tensor : report.tensors)
    document["tensors"].push_back(tensor_json(tensor));
  document["summary"] = {{"tensors", report.tensors.size()},
                         {"palettized", report.palettized_count},
                         {"copied", report.tensors.size() - report.palettized_count},
                         {"total", stats_json(report.total)},
                         {"palettized_total", stats_json(report.palettized_total)}};
  out << document.dump(2) << '\n';
}

std::vector<std::string> metric_cells(const ErrorStats& stats) {
  return {format_number("%.3e", stats.rel_error()), format_number("%.2f", stats.snr_db()),
          format_number("%.3e", stats.max_abs_error)};
}

void print_table(const VerifyReport& report, std::ostream& out) {
  reporting::TextTable table({"tensor", "status", "rel. error", "SNR dB", "max abs error"});
  for (const TensorVerification& tensor : report.tensors) {
    std::vector<std::string> row{tensor.name, status(tensor)};
    if (tensor.values_compared) {
      for (std::string& cell : metric_cells(tensor.error))
        row.push_back(std::move(cell));
    } else {  // no numeric reading of this dtype: only the bytes were compared
      row.insert(row.end(), {tensor.identical ? "identical" : "bytes differ", "-", "-"});
    }
    table.add_row(std::move(row));
  }
  std::vector<std::string> all{"total over float tensors",
                               std::to_string(report.tensors.size()) + " tensors"};
  std::vector<std::string> palettized{"total over palettized tensors",
                                      std::to_string(report.palettized_count) + " palettized"};
  for (std::string& cell : metric_cells(report.total))
    all.push_back(std::move(cell));
  for (std::string& cell : metric_cells(report.palettized_total))
    palettized.push_back(std::move(cell));
  table.add_row(std::move(all));
  table.add_row(std::move(palettized));
  table.print(out);
}

}  // namespace

void add_verify_command(CLI::App& app) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* command = app.add_subcommand(
      "verify", "Per tensor: relative error, SNR and max abs error of a palettized checkpoint");
  command->add_option("ORIGINAL", options->original, "the dense checkpoint")->required();
  command->add_option("PALETTIZED", options->palettized, "its kmlut v1 counterpart")->required();
  command->add_flag("--json", options->json, "print {\"tensors\": [...], \"summary\": {...}}");
  command->callback([options] {
    const Checkpoint original = Checkpoint::open(options->original);
    const Checkpoint palettized = Checkpoint::open(options->palettized);
    const VerifyReport report = verify_checkpoint(original, palettized);
    if (options->json) {
      print_json(report, std::cout);
    } else {
      print_table(report, std::cout);
    }
  });
}

}  // namespace kmlut::cli
