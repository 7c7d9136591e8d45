// Where palettize and decode write: a model directory for a directory INPUT (every other file of
// the model copied, the whole directory committed atomically; docs/model-directories.md), else
// the file or shard directory of output_policy.hpp.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "kmlut/checkpoint.hpp"

namespace kmlut::cli {

using WriteCheckpoint = std::function<void(const std::filesystem::path& target)>;

// Throws ConfigError naming OUTPUT when writing it would overwrite the input, or an existing
// output without `force`.
void check_output_target(const std::filesystem::path& input, const Checkpoint& checkpoint,
                         const std::filesystem::path& output, bool force);

// Calls `write` with the path the transformed checkpoint goes to: OUTPUT itself, or a place inside
// a staged model directory that then replaces OUTPUT as a whole.
void write_output_target(const std::filesystem::path& input, const Checkpoint& checkpoint,
                         const std::filesystem::path& output, bool force,
                         const WriteCheckpoint& write);

}  // namespace kmlut::cli
