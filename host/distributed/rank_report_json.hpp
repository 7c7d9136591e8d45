// The "ranks" entry a distributed job adds to the palettize report (docs/report.md): what each
// rank did, its times and the bytes it read, sent, received and wrote.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "host/distributed/distributed_pipeline.hpp"

namespace kmlut::distributed {

nlohmann::ordered_json rank_reports_json(const std::vector<RankReport>& ranks);

}  // namespace kmlut::distributed
