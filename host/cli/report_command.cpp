// `kmlut report`: a --report document of `kmlut palettize` rendered as an HTML page.
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "host/cli/commands.hpp"
#include "host/report/html_report.hpp"
#include "kmlut/atomic_file.hpp"
#include "kmlut/error.hpp"

namespace kmlut::cli {
namespace {

struct ReportOptions {
  std::string input;
  std::string html;
};

nlohmann::json read_report(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw InputError(path + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw InputError(path + ": not JSON: " + error.what());
  }
}

void run_report(const ReportOptions& options) {
  const nlohmann::json report = read_report(options.input);
  std::string page;
  try {
    page = reporting::render_html_report(report);
  } catch (const InputError& error) {
    throw InputError(options.input + ": " + error.what());
  }
  write_file_atomically(options.html, page);
  std::cout << "wrote " << options.html << '\n';
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report", "Render a palettize --report document as a self-contained HTML page");
  command->add_option("REPORT", options->input, "the JSON written by palettize --report")
      ->required();
  command->add_option("--html", options->html, "the HTML page to write")->required();
  command->callback([options] { run_report(*options); });
}

}  // namespace kmlut::cli
