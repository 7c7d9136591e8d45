// Small files (indexes, reports) written like the checkpoints: under a unique temporary name in the
// target's directory, flushed to disk, then renamed into place. A failure never leaves a partial
// file under the final name and never destroys the previous one.
#pragma once

#include <filesystem>
#include <string>

namespace kmlut {

// Throws Error naming `path` on failure (the temporary file is removed).
void write_file_atomically(const std::filesystem::path& path, const std::string& contents);

}  // namespace kmlut
