// The --report document of `kmlut palettize` (DESIGN §5).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kmlut/pipeline.hpp"

namespace kmlut::cli {

// The document, in the key order of docs/report.md.
nlohmann::ordered_json report_document(const PipelineReport& report, const std::string& device);

}  // namespace kmlut::cli
