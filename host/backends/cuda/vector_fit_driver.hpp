// The device vector fit: fit_lloyd_kmeans (host/backends/cpu/lloyd_kmeans.hpp) with its heavy
// passes on a device, giving the CPU's bits. Per run, k-means++ seeds on the device from the
// CPU's random stream. Each Lloyd iteration assigns every point on the device (a full fused
// distance + argmin search the first time, Hamerly's bounds afterwards, decided as the CPU decides
// them, so exact ties between centres resolve as on the CPU), then either the first assignment's
// chunk sums or the moves of a reassignment, and the centres from the sums, all in the CPU's fixed
// orders. The host keeps the loop's k-sized work with the CPU's arithmetic: one small read per
// iteration (the move count, the cluster counts, the new centres) gives the shifts, the bounds'
// centre state and the convergence test (no label changed, or Σ‖shift‖² ≤ tol × mean variance);
// an empty cluster, which is rare, takes the points farthest from their centres on the host, as
// the CPU's does (docs/cuda-backend.md, "Vector palettization").
#pragma once

#include <cstdint>

#include "host/backends/cpu/lloyd_kmeans.hpp"
#include "host/backends/cuda/vector_fit_device.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut::cuda {

// The run with the lowest inertia, as fit_lloyd_kmeans gives it; every device buffer is released
// before it returns. `runner` runs the host's share (the tolerance's variance).
cpu::LloydFit fit_lloyd_kmeans_on_device(const cpu::VectorPoints& points,
                                         const cpu::LloydOptions& options,
                                         const cpu::ChunkRunner& runner, VectorFitDevice& device);

// Whether the device fit covers the request's vectors (cluster_dim 2..kMaxDeviceVectorDim; k is at
// most 256 for every n_bits).
bool vector_fit_on_device(const PalettizeRequest& request);

}  // namespace kmlut::cuda
