// The palettize report as a JSON document, for the tools that add to it or render it (the CLI's
// --report and --html); kmlut/report.hpp gives embedders the same document as text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kmlut/pipeline.hpp"

namespace kmlut {

// The document in the key order of docs/report.md; `device` describes where it ran.
nlohmann::ordered_json palettize_report_document(const PipelineReport& report,
                                                 const std::string& device);

}  // namespace kmlut
