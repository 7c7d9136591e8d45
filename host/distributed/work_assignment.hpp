// Which rank does what (docs/scaling.md, "Splitting the work"): the selected tensors go to ranks by
// estimated cost, longest first (ties by name), each to the rank with the least work so far, so
// that ranks finish together; output shards go to writer ranks the same way, by bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/scheduling/cost_balance.hpp"
#include "kmlut/plan.hpp"

namespace kmlut::distributed {

// Ranks share tensors and shards by the one cost rule (host/scheduling/cost_balance.hpp).
using scheduling::assign_by_cost;
using scheduling::WorkItem;

// The estimated clustering cost of a job with a spec: numel × the cost per element of its path
// (docs/scaling.md, "Cost model"). Only the ratios between jobs matter.
double estimated_cost(const Job& job);

}  // namespace kmlut::distributed
