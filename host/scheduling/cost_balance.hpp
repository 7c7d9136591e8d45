// Sharing palettization work among workers by estimated cost (docs/scaling.md, "Splitting the
// work"): MPI ranks (host/distributed/) and devices (host/backends/multi_device_backend.hpp) use
// the same rule, longest processing time first, so that workers finish together.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kmlut/dtype.hpp"
#include "kmlut/spec.hpp"

namespace kmlut::scheduling {

struct WorkItem {
  std::string name;
  double cost = 0.0;
};

// The worker of each item (same order as `items`), over `workers` workers: longest processing
// time first, ties by name; each item to the least-loaded worker, ties to the lowest worker.
std::vector<int> assign_by_cost(const std::vector<WorkItem>& items, int workers);

// The estimated clustering cost of `numel` elements of `dtype` under `spec`: numel × the cost per
// element of its path (docs/scaling.md, "Cost model"). Only the ratios between costs matter.
double clustering_cost(double numel, DType dtype, const PalettizationSpec& spec,
                       bool enable_fast_kmeans_mode);

}  // namespace kmlut::scheduling
