// Registration of the subcommands. Each runs inside CLI11's parse; library exceptions propagate to
// main, which maps them to exit codes.
#pragma once

#include <CLI/CLI.hpp>

namespace kmlut::cli {

void add_plan_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_decode_command(CLI::App& app);
void add_verify_command(CLI::App& app);
void add_palettize_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_selftest_command(CLI::App& app);

}  // namespace kmlut::cli
