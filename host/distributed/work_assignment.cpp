#include "host/distributed/work_assignment.hpp"

namespace kmlut::distributed {

double estimated_cost(const Job& job) {
  if (!job.spec)
    return 0.0;
  double numel = 1.0;
  for (std::int64_t dim : job.shape)
    numel *= static_cast<double>(dim);
  return scheduling::clustering_cost(numel, job.dtype, *job.spec, job.enable_fast_kmeans_mode);
}

}  // namespace kmlut::distributed
