#include "host/pipeline/output_policy.hpp"

#include <system_error>

#include "kmlut/error.hpp"
#include "kmlut/model_directory.hpp"

namespace kmlut {
namespace {

namespace fs = std::filesystem;

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code error;
  return fs::exists(b, error) && fs::equivalent(a, b, error);
}

bool is_model_directory(const fs::path& input) {
  std::error_code error;
  return fs::is_directory(input, error);
}

void refuse_existing(const fs::path& path, bool force) {
  std::error_code error;
  if (!force && fs::exists(path, error)) {
    throw ConfigError(path.string() + ": already exists (use --force to replace it)");
  }
}

}  // namespace

void check_output(const Checkpoint& input, const fs::path& output, bool force) {
  if (input.layout() == Checkpoint::Layout::SingleFile) {
    if (same_file(input.shards().front().path(), output)) {
      throw ConfigError(output.string() + ": is the input file; choose another output");
    }
    std::error_code error;
    if (fs::is_directory(output, error)) {
      throw ConfigError(output.string() +
                        ": is a directory; the output of a single-file "
                        "checkpoint is a .safetensors file");
    }
    refuse_existing(output, force);
    return;
  }
  const fs::path input_directory = input.source().parent_path();
  if (same_file(input_directory.empty() ? fs::path(".") : input_directory, output)) {
    throw ConfigError(output.string() + ": is the input's directory; choose another output");
  }
  refuse_existing(output / kSafetensorsIndexFileName, force);
  for (const SafetensorsFile& shard : input.shards()) {
    refuse_existing(output / shard.path().filename(), force);
  }
}

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
                         const fs::path& output, bool force,
                         const std::function<void(const fs::path& target)>& write) {
  if (is_model_directory(input)) {
    write_model_directory(checkpoint, output, force, write);
  } else {
    write(output);
  }
}

}  // namespace kmlut
