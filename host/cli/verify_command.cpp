// `kmlut verify`: the error of a palettized checkpoint against its original, tensor by tensor.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "host/cli/commands.hpp"
#include "host/report/text_table.hpp"
#include "host/report/verify_document.hpp"
#include "kmlut/checkpoint.hpp"
#include "kmlut/verify.hpp"

namespace kmlut::cli {
namespace {

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

void print_json(const VerifyReport& report, std::ostream& out) {
  out << reporting::verify_document(report).dump(2) << '\n';
}

std::vector<std::string> metric_cells(const ErrorStats& stats) {
  return {format_number("%.3e", stats.rel_error()), format_number("%.2f", stats.snr_db()),
          format_number("%.3e", stats.max_abs_error)};
}

void print_table(const VerifyReport& report, std::ostream& out) {
  reporting::TextTable table({"tensor", "status", "rel. error", "SNR dB", "max abs error"});
  for (const TensorVerification& tensor : report.tensors) {
    std::vector<std::string> row{tensor.name, reporting::verification_status(tensor)};
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
