// Rules for where a command may write: never onto its input, never over an existing output
// unless forced (--force). Shared by the CLI's palettize and decode and by the embedding API (C
// ABI, Python).
#pragma once

#include <filesystem>
#include <functional>

#include "kmlut/checkpoint.hpp"

namespace kmlut {

// OUTPUT is a file for a single-file input, a directory for a sharded one. Throws ConfigError
// (a usage error) naming the path when the output would overwrite the input, or an existing file
// without `force`.
void check_output(const Checkpoint& input, const std::filesystem::path& output, bool force);

// The same for a command's INPUT as given: a model directory INPUT gives a directory OUTPUT
// (docs/model-directories.md), anything else the file or shard directory of check_output.
void check_output_target(const std::filesystem::path& input, const Checkpoint& checkpoint,
                         const std::filesystem::path& output, bool force);

// Calls `write` with the path the transformed checkpoint goes to: OUTPUT itself, or a place inside
// a staged model directory that then replaces OUTPUT as a whole.
void write_output_target(const std::filesystem::path& input, const Checkpoint& checkpoint,
                         const std::filesystem::path& output, bool force,
                         const std::function<void(const std::filesystem::path& target)>& write);

}  // namespace kmlut
