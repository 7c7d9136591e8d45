// Small files (indexes, reports) written like the checkpoints: as an unnamed temporary file linked
// into place when complete (docs/format.md, "Writing files"). A failure never leaves a partial
// file under the final name and never destroys the previous one.
#pragma once

#include <filesystem>
#include <string>

namespace kmlut {

// Throws Error naming `path` on failure (the temporary file is removed).
void write_file_atomically(const std::filesystem::path& path, const std::string& contents);

}  // namespace kmlut
