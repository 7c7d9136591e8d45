// The input of vector k-means: n points of d floats with optional sample weights, and the way the
// chunked passes over them are run.
#pragma once

#include <cstddef>
#include <functional>

namespace kmlut::cpu {

struct VectorPoints {
  const float* data = nullptr;      // n rows of d floats
  const double* weights = nullptr;  // n sample weights, or null when every point weighs 1
  std::size_t n = 0;
  int d = 1;

  const float* point(std::size_t i) const { return data + i * static_cast<std::size_t>(d); }
  double weight(std::size_t i) const { return weights != nullptr ? weights[i] : 1.0; }
};

// Runs body(chunk) for every chunk in [0, chunks), serially or on a thread pool. Each chunk writes
// only its own outputs and partial sums are combined in chunk order, so the results do not depend
// on which runner is used.
using ChunkRunner =
    std::function<void(std::size_t chunks, const std::function<void(std::size_t)>& body)>;

inline void run_serially(std::size_t chunks, const std::function<void(std::size_t)>& body) {
  for (std::size_t chunk = 0; chunk < chunks; ++chunk)
    body(chunk);
}

}  // namespace kmlut::cpu
