// kmlut: k-means palettization of neural-network checkpoints. Exit codes (docs/architecture.md §7):
// 0 success, 1 runtime failure, 2 usage or config error, 3 invalid input file; a command may end
// with its own documented code through CLI::RuntimeError (selftest: 4, no GPU was checked).
#include <exception>
#include <iostream>

#include "host/cli/commands.hpp"
#include "host/cli/exit_codes.hpp"
#include "kmlut/error.hpp"
#include "kmlut/version.hpp"

namespace {

using namespace kmlut::cli;  // the exit codes

int run(int argc, char** argv) {
  CLI::App app{"kmlut: k-means palettization of neural-network checkpoints", "kmlut"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kmlut ") + kmlut::kVersion);
  kmlut::cli::add_palettize_command(app);
  kmlut::cli::add_plan_command(app);
  kmlut::cli::add_inspect_command(app);
  kmlut::cli::add_decode_command(app);
  kmlut::cli::add_verify_command(app);
  kmlut::cli::add_bench_command(app);
  kmlut::cli::add_report_command(app);
  kmlut::cli::add_selftest_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& error) {
    std::cerr << "kmlut: " << error.what() << '\n';
    return error.get_exit_code();
  } catch (const CLI::ParseError& error) {
    // --help and --version are "successes" CLI11 reports by exception; exit() prints them.
    const int code = app.exit(error);
    return code == 0 ? kSuccess : kUsageError;
  }
  return kSuccess;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const SilentExit& exit) {
    return exit.code;
  } catch (const std::exception& error) {
    std::cerr << failure_line(error) << '\n';
    return exit_code_of(error);
  }
}
