#include "host/scheduling/cost_balance.hpp"

#include <algorithm>
#include <numeric>

#include "kmlut/error.hpp"

namespace kmlut::scheduling {

std::vector<int> assign_by_cost(const std::vector<WorkItem>& items, int workers) {
  if (workers < 1)
    throw Error("cannot share work among " + std::to_string(workers) + " workers");
  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (items[a].cost != items[b].cost)
      return items[a].cost > items[b].cost;
    return items[a].name < items[b].name;
  });
  std::vector<double> load(static_cast<std::size_t>(workers), 0.0);
  std::vector<int> worker_of(items.size(), 0);
  for (std::size_t item : order) {
    const auto least = std::min_element(load.begin(), load.end());  // first of equals
    *least += items[item].cost;
    worker_of[item] = static_cast<int>(least - load.begin());
  }
  return worker_of;
}

double clustering_cost(double numel, DType dtype, const PalettizationSpec& spec,
                       bool enable_fast_kmeans_mode) {
  const double entries = static_cast<double>(std::uint64_t{1} << spec.n_bits);
  // Vector blocks: weighted Lloyd iterations over k centroids from 5 k-means++ initialisations
  // (docs/architecture.md §5.5 step 5), so work grows with k per element.
  if (spec.cluster_dim > 1)
    return numel * entries * 5.0;
  // Scalar blocks of F16 values, or with fast mode: the weighted-unique path, a histogram and a DP
  // over at most 65536 distinct values, so about linear in the elements. Otherwise every value is
  // a point of the exact DP, whose rows grow with k.
  const bool weighted_unique = dtype == DType::F16 || enable_fast_kmeans_mode;
  return weighted_unique ? numel : numel * entries;
}

}  // namespace kmlut::scheduling
