// `kmlut selftest`: the parity probe (host/backends/probe/parity_probe.hpp) of a backend against
// the CPU backend, one row per path, so that a user can validate their GPU. Exit codes
// (docs/architecture.md §7): 0 every path matched, 1 one did not, 4 the CUDA backend was asked for
// (auto or cuda) but no device can run it: the CPU backend was probed instead and matched.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "host/backends/probe/parity_probe.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/option_checks.hpp"
#include "host/report/text_table.hpp"

namespace kmlut::cli {
namespace {

constexpr int kNoDevice = 4;

struct SelftestOptions {
  std::string backend = "auto";
  int threads = 0;
  std::string devices;  // "" = device 0
};

std::string milliseconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms", seconds * 1e3);
  return text;
}

void print_rows(const probe::ProbeReport& report, std::ostream& out) {
  reporting::TextTable table({"path", "size", "result", "time"});
  for (const probe::ProbeRow& row : report.rows) {
    table.add_row({row.path, reporting::format_bytes(row.bytes),
                   row.matched ? "identical" : "DIFFERS: " + row.mismatch,
                   row.matched ? milliseconds(row.seconds) : "-"});
  }
  table.print(out);
}

// Probes one subject and prints its table; "" when every path matched, else the first failure.
std::string probe_subject(const probe::SelftestSubject& subject) {
  if (!subject.no_device.empty())
    std::cout << "no usable CUDA device: " << subject.no_device << "\nprobing "
              << subject.description << " instead\n";
  else
    std::cout << "probing " << subject.description << '\n';
  const probe::ProbeReport report = probe::run_parity_probe(*subject.candidate, *subject.reference);
  print_rows(report, std::cout);
  std::cout.flush();
  return report.first_failure();
}

void run_selftest(const SelftestOptions& options) {
  const std::vector<probe::SelftestSubject> subjects =
      probe::selftest_subjects(options.backend, options.threads, options.devices);
  std::string failure;
  for (const probe::SelftestSubject& subject : subjects) {
    const std::string first = probe_subject(subject);
    if (failure.empty() && !first.empty())
      failure = subjects.size() > 1 ? subject.description + ": " + first : first;
  }
  if (!failure.empty())
    throw CLI::RuntimeError("selftest failed: " + failure, 1);
  if (!subjects.front().no_device.empty())
    throw CLI::RuntimeError("selftest: every path matched, but no GPU was checked", kNoDevice);
  std::cout << "selftest passed: every path gave the reference's bits\n";
}

}  // namespace

void add_selftest_command(CLI::App& app) {
  auto options = std::make_shared<SelftestOptions>();
  CLI::App* command = app.add_subcommand(
      "selftest", "Check a backend against the CPU backend, bit for bit, on every device path");
  add_backend_options(*command, options->backend, options->threads);
  add_devices_option(*command, options->devices, "several are probed one after the other");
  command->callback([options] { run_selftest(*options); });
}

}  // namespace kmlut::cli
