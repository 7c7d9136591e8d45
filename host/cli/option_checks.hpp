// CLI11 checks of option values that several subcommands share, so that a bad value is a usage
// error (exit 2) reported by CLI11 with the option's name before any work starts.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace kmlut::cli {

// Registers --backend (auto, cpu or cuda) and --threads (0 = all cores).
void add_backend_options(CLI::App& command, std::string& backend, int& threads);

// Registers --devices: the CUDA devices, "all" or numbers like "0,1" (default: device 0);
// `several` ends its help with what the command does with several of them.
void add_devices_option(CLI::App& command, std::string& devices, const std::string& several);

// A preset name the library knows; the list lives with the presets.
CLI::Validator preset_name();

// Turns "512M", "2g", "4GiB", "1073741824" into a byte count above 0, the units K, M, G, T
// (case-insensitive, with or without "B" or "iB") as powers of 1024. For a std::uint64_t option.
CLI::Validator byte_size();

// "4096x11008" -> {4096, 11008}: two positive integers. Throws CLI::ValidationError.
std::vector<std::int64_t> parse_rows_by_cols(const std::string& text);
CLI::Validator rows_by_cols();

}  // namespace kmlut::cli
