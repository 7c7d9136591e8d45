// The --report document of `kmlut palettize` (DESIGN §5).
#pragma once

#include <filesystem>
#include <string>

#include "kmlut/pipeline.hpp"

namespace kmlut::cli {

// Writes the report atomically (temporary file + rename). Throws Error on an IO failure.
void write_report(const PipelineReport& report, const std::string& device,
                  const std::filesystem::path& path);

}  // namespace kmlut::cli
