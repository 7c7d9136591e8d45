#include "host/backends/request_subset.hpp"

namespace kmlut {

void run_request_subset(Backend& backend, const std::vector<PalettizeRequest>& requests,
                        const std::vector<std::size_t>& indices,
                        std::vector<PalettizeResult>& results) {
  if (indices.empty())
    return;
  std::vector<PalettizeRequest> subset;
  subset.reserve(indices.size());
  for (std::size_t i : indices)
    subset.push_back(requests[i]);
  std::vector<PalettizeResult> done = backend.run_batch(subset);
  for (std::size_t k = 0; k < indices.size(); ++k)
    results[indices[k]] = std::move(done[k]);
}

}  // namespace kmlut
