#include "host/cli/output_target.hpp"

#include <system_error>

#include "host/cli/output_policy.hpp"
#include "kmlut/error.hpp"
#include "kmlut/model_directory.hpp"

namespace kmlut::cli {
namespace {

namespace fs = std::filesystem;

bool is_model_directory(const fs::path& input) {
  std::error_code error;
  return fs::is_directory(input, error);
}

}  // namespace

void check_output_target(const fs::path& input, const Checkpoint& checkpoint,
                         const fs::path& output, bool force) {
  if (!is_model_directory(input)) {
    check_output(checkpoint, output, force);
    return;
  }
  std::error_code error;
  if (!force && fs::exists(fs::symlink_status(output, error)))
    throw ConfigError(output.string() + ": already exists (use --force to replace it)");
}

void write_output_target(const fs::path& input, const Checkpoint& checkpoint,
                         const fs::path& output, bool force, const WriteCheckpoint& write) {
  if (is_model_directory(input)) {
    write_model_directory(checkpoint, output, force, write);
  } else {
    write(output);
  }
}

}  // namespace kmlut::cli
