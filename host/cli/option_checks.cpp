#include "host/cli/option_checks.hpp"

#include <sstream>

#include "kmlut/config.hpp"
#include "kmlut/error.hpp"

namespace kmlut::cli {

void add_backend_options(CLI::App& command, std::string& backend, int& threads) {
  command.add_option("--backend", backend, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  command.add_option("--threads", threads, "CPU threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
}

void add_devices_option(CLI::App& command, std::string& devices, const std::string& several) {
  command.add_option("--devices", devices,
                     "CUDA devices for the cuda and auto backends: \"all\" or numbers like "
                     "\"0,1\" (default: device 0); " +
                         several);
}

CLI::Validator preset_name() {
  return CLI::Validator(
      [](const std::string& name) -> std::string {
        try {
          KMeansPalettizerConfig::preset(name);
          return {};
        } catch (const ConfigError& error) {
          return error.what();
        }
      },
      "PRESET");
}

CLI::Validator byte_size() {
  const CLI::AsSizeValue to_bytes(false);
  return CLI::Validator(
      [to_bytes](std::string& text) -> std::string {
        const std::string given = text;
        std::string error;
        try {
          // CLI11 reads "-1" as a huge unsigned number; a size never has a sign.
          error = given.find('-') != std::string::npos ? "negative" : to_bytes(text);
        } catch (const CLI::ValidationError& failure) {
          error = failure.what();
        }
        if (error.empty() && text == "0")
          error = "zero";
        if (error.empty())
          return {};
        return "expected a size above 0 such as 512M or 4G (K, M, G, T are powers of 1024), got "
               "\"" +
               given + "\"";
      },
      "SIZE");
}

std::vector<std::int64_t> parse_rows_by_cols(const std::string& text) {
  std::vector<std::int64_t> shape;
  std::istringstream parts(text);
  std::string part;
  while (std::getline(parts, part, 'x')) {
    std::int64_t value = 0;
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
        !CLI::detail::lexical_cast(part, value) || value <= 0)
      break;
    shape.push_back(value);
  }
  if (shape.size() != 2 || text.back() == 'x')
    throw CLI::ValidationError("expected ROWSxCOLS such as 4096x4096, got \"" + text + "\"");
  return shape;
}

CLI::Validator rows_by_cols() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        try {
          parse_rows_by_cols(text);
          return {};
        } catch (const CLI::ValidationError& error) {
          return error.what();
        }
      },
      "ROWSxCOLS");
}

}  // namespace kmlut::cli
