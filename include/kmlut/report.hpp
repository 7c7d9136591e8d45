// The JSON document of a palettize run (`kmlut palettize --report`, docs/cli.md): the run's
// backend, device and phases, one entry per tensor with its resolved spec and error, and totals.
#pragma once

#include <string>

#include "kmlut/pipeline.hpp"

namespace kmlut {

// The report as JSON text; `device` describes where it ran (free text for people).
std::string palettize_report_json(const PipelineReport& report, const std::string& device);

}  // namespace kmlut
