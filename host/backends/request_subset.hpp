// A backend run over some of a batch's requests: the composite backends (the CUDA backend's
// device and CPU shares, the multi-device backend's device shares) each hand a subset of one
// batch to another backend and put the results back in request order.
#pragma once

#include <cstddef>
#include <vector>

#include "kmlut/palettize.hpp"

namespace kmlut {

// Runs requests[i] for every i of `indices` as one batch of `backend` (nothing when empty) and
// moves each result to results[i]; no other entry of `results` is touched, so threads may fill
// disjoint subsets of one vector.
void run_request_subset(Backend& backend, const std::vector<PalettizeRequest>& requests,
                        const std::vector<std::size_t>& indices,
                        std::vector<PalettizeResult>& results);

}  // namespace kmlut
