// Which rank does what (docs/scaling.md, "Splitting the work"): the selected tensors go to ranks by
// estimated cost, longest first (ties by name), each to the rank with the least work so far, so
// that ranks finish together; output shards go to writer ranks the same way, by bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kmlut/plan.hpp"

namespace kmlut::distributed {

struct WorkItem {
  std::string name;
  double cost = 0.0;
};

// The rank of each item (same order as `items`), over `ranks` ranks: longest processing time
// first, ties by name; each item to the least-loaded rank, ties to the lowest rank.
std::vector<int> assign_by_cost(const std::vector<WorkItem>& items, int ranks);

// The estimated clustering cost of a job with a spec: numel × the cost per element of its path
// (docs/scaling.md, "Cost model"). Only the ratios between jobs matter.
double estimated_cost(const Job& job);

}  // namespace kmlut::distributed
