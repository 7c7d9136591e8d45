#include "host/distributed/work_assignment.hpp"

#include <algorithm>
#include <numeric>

#include "kmlut/error.hpp"

namespace kmlut::distributed {

std::vector<int> assign_by_cost(const std::vector<WorkItem>& items, int ranks) {
  if (ranks < 1)
    throw Error("cannot share work among " + std::to_string(ranks) + " ranks");
  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (items[a].cost != items[b].cost)
      return items[a].cost > items[b].cost;
    return items[a].name < items[b].name;
  });
  std::vector<double> load(static_cast<std::size_t>(ranks), 0.0);
  std::vector<int> rank_of(items.size(), 0);
  for (std::size_t item : order) {
    const auto least = std::min_element(load.begin(), load.end());  // first of equals
    *least += items[item].cost;
    rank_of[item] = static_cast<int>(least - load.begin());
  }
  return rank_of;
}

double estimated_cost(const Job& job) {
  if (!job.spec)
    return 0.0;
  double numel = 1.0;
  for (std::int64_t dim : job.shape)
    numel *= static_cast<double>(dim);
  const double entries = static_cast<double>(std::uint64_t{1} << job.spec->n_bits);
  // Vector blocks: weighted Lloyd iterations over k centroids from 5 k-means++ initialisations
  // (docs/architecture.md §5.5 step 5), so work grows with k per element.
  if (job.spec->cluster_dim > 1)
    return numel * entries * 5.0;
  // Scalar blocks of F16 values, or with fast mode: the weighted-unique path, a histogram and a DP
  // over at most 65536 distinct values, so about linear in the elements. Otherwise every value is
  // a point of the exact DP, whose rows grow with k.
  const bool weighted_unique = job.dtype == DType::F16 || job.enable_fast_kmeans_mode;
  return weighted_unique ? numel : numel * entries;
}

}  // namespace kmlut::distributed
