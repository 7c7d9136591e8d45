// Rules for where a command may write: never onto its input, never over an existing output
// unless --force. Shared by palettize and decode.
#pragma once

#include <filesystem>

#include "kmlut/checkpoint.hpp"

namespace kmlut::cli {

// OUTPUT is a file for a single-file input, a directory for a sharded one. Throws ConfigError
// (a usage error) naming the path when the output would overwrite the input, or an existing file
// without `force`.
void check_output(const Checkpoint& input, const std::filesystem::path& output, bool force);

}  // namespace kmlut::cli
