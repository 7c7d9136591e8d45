// The --report document of `kmlut palettize` (docs/cli.md): shared by the CLI, the C ABI and the
// Python module, which return it as text or a dict.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kmlut/pipeline.hpp"

namespace kmlut::reporting {

// `device` names the backend and the machine, e.g. "cpu: AMD EPYC 7B13, 2 threads".
nlohmann::ordered_json report_document(const PipelineReport& report, const std::string& device);

}  // namespace kmlut::reporting
