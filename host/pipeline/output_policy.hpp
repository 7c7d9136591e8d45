// Rules for where a command may write: never onto its input, never over an existing output
// unless forced (--force). Shared by the CLI's palettize and decode and by the embedding API.
#pragma once

#include <filesystem>

#include "kmlut/checkpoint.hpp"

namespace kmlut {

// OUTPUT is a file for a single-file input, a directory for a sharded one. Throws ConfigError
// (a usage error) naming the path when the output would overwrite the input, or an existing file
// without `force`.
void check_output(const Checkpoint& input, const std::filesystem::path& output, bool force);

}  // namespace kmlut
