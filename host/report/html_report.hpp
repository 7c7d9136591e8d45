// The --report document of `kmlut palettize` (docs/report.md) as a page a person looks at: one
// self-contained HTML file, charts as inline SVG, no scripts and nothing fetched from the network.
// It depends only on the document, not on how it was produced (a report file, another tool).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kmlut::reporting {

// The page: a summary header (model, config, backend, time, size before and after), SNR and
// relative error per palettized tensor as bars in checkpoint order (one <rect class="bar snr"> and
// one <rect class="bar rel-error"> per tensor, carrying data-tensor and data-value), bytes before
// and after by tensor group, time per phase, and the skipped tensors with their reasons. Throws
// InputError naming the field when the document lacks one or holds the wrong type.
std::string render_html_report(const nlohmann::json& report);

}  // namespace kmlut::reporting
