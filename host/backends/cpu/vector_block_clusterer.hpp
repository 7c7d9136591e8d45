// Clusters one block of a vector palettization (cluster_dim = d > 1; docs/architecture.md §5.5 step
// 5): gathers the block's vectors in coreai_opt's order (column by column, each column's rows d at
// a time), weights each by the sum of its elements' sensitivities, fits LloydKMeans with k =
// min(#vectors, 2^n_bits), writes the LUT (padded with the last centroid) and the indices.
#pragma once

#include <cstdint>
#include <vector>

#include "host/backends/cpu/lloyd_kmeans.hpp"
#include "host/backends/cpu/vector_fitter.hpp"
#include "host/palettize/vector_block_layout.hpp"
#include "kmlut/dtype.hpp"

namespace kmlut::cpu {

struct VectorBlockTask {
  DType dtype = DType::F32;
  const void* values = nullptr;        // the whole (scaled) tensor in its dtype
  const float* sensitivity = nullptr;  // normalized, one per element, or null
  palettize::VectorBlock block;
  std::uint64_t matrix_cols = 0;  // columns of the tensor's 2-D view
  int cluster_dim = 2;
  int n_bits = 4;
  std::uint64_t seed = 0;
  std::uint8_t* indices = nullptr;       // the tensor's index matrix [S_0 / d, matrix_cols]
  void* lut = nullptr;                   // this block's 2^n_bits × d entries, in dtype
  const VectorFitter* fitter = nullptr;  // null: fit_lloyd_kmeans
};

struct VectorBlockOutcome {
  std::size_t iterations = 0;  // Lloyd iterations over all runs
};

// Holds the scratch of one worker; not thread-safe.
class VectorBlockClusterer {
 public:
  VectorBlockOutcome cluster(const VectorBlockTask& task, const ChunkRunner& runner);

 private:
  template <class Tag>
  void gather(const VectorBlockTask& task);
  template <class Tag>
  void write_lut(const VectorBlockTask& task, const LloydFit& fit, std::size_t k) const;
  void write_indices(const VectorBlockTask& task, const LloydFit& fit) const;

  std::vector<float> points_;
  std::vector<double> weights_;
};

}  // namespace kmlut::cpu
