// Which solver fits a vector block's k-means. The CPU backend uses fit_lloyd_kmeans; the CUDA
// backend builds a CPU backend whose vector fits run on the device (host/backends/cuda/
// vector_fit_driver.hpp), so that the gathering of the vectors, the LUT, the indices and the error
// are the CPU's own code and only the fit moves. A fitter must give fit_lloyd_kmeans's bits, and
// may be called from several threads at once.
#pragma once

#include <functional>
#include <memory>

#include "host/backends/cpu/lloyd_kmeans.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut::cpu {

using VectorFitter =
    std::function<LloydFit(const VectorPoints&, const LloydOptions&, const ChunkRunner&)>;

// make_cpu_backend with vector blocks fitted by `fitter`.
std::unique_ptr<Backend> make_cpu_backend_with_vector_fitter(int threads, VectorFitter fitter);

}  // namespace kmlut::cpu
