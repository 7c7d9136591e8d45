#include "host/backends/cpu/vector_block_clusterer.hpp"

#include <algorithm>

#include "host/palettize/float_format_dispatch.hpp"

namespace kmlut::cpu {

VectorBlockOutcome VectorBlockClusterer::cluster(const VectorBlockTask& task,
                                                 const ChunkRunner& runner) {
  palettize::with_float_format(task.dtype, [&](auto tag) { gather<decltype(tag)>(task); });
  VectorPoints points;
  points.data = points_.data();
  points.weights = task.sensitivity != nullptr ? weights_.data() : nullptr;
  points.n = task.block.vectors(task.cluster_dim);
  points.d = task.cluster_dim;
  LloydOptions options;
  options.k = std::min<std::size_t>(points.n, std::size_t{1} << task.n_bits);
  options.seed = task.seed;
  const LloydFit fit = task.fitter != nullptr ? (*task.fitter)(points, options, runner)
                                              : fit_lloyd_kmeans(points, options, runner);
  palettize::with_float_format(task.dtype,
                               [&](auto tag) { write_lut<decltype(tag)>(task, fit, options.k); });
  write_indices(task, fit);
  return {fit.iterations};
}

// Vector v = column · (rows / d) + r holds rows r·d … r·d + d − 1 of that column. The block is read
// row by row (the tensor's memory order) and scattered into the vectors.
template <class Tag>
void VectorBlockClusterer::gather(const VectorBlockTask& task) {
  const auto* values = static_cast<const typename Tag::Storage*>(task.values);
  const palettize::VectorBlock& block = task.block;
  const auto d = static_cast<std::uint64_t>(task.cluster_dim);
  const std::uint64_t per_column = block.rows / d;
  points_.resize(block.vectors(task.cluster_dim) * d);
  if (task.sensitivity != nullptr)
    weights_.assign(block.vectors(task.cluster_dim), 0.0);
  for (std::uint64_t r = 0; r < block.rows; ++r) {
    const std::uint64_t row_start = (block.row_begin + r) * task.matrix_cols + block.col_begin;
    for (std::uint64_t c = 0; c < block.cols; ++c) {
      const std::uint64_t v = c * per_column + r / d;
      points_[v * d + r % d] = static_cast<float>(Tag::Format::to_double(values[row_start + c]));
      if (task.sensitivity != nullptr)
        weights_[v] += task.sensitivity[row_start + c];
    }
  }
}

template <class Tag>
void VectorBlockClusterer::write_lut(const VectorBlockTask& task, const LloydFit& fit,
                                     std::size_t k) const {
  auto* lut = static_cast<typename Tag::Storage*>(task.lut);
  const auto d = static_cast<std::size_t>(task.cluster_dim);
  const std::size_t entries = std::size_t{1} << task.n_bits;
  for (std::size_t e = 0; e < entries; ++e) {
    const std::size_t centroid = std::min(e, k - 1);  // padding repeats the last centroid
    for (std::size_t j = 0; j < d; ++j)
      lut[e * d + j] = Tag::Format::from_double(fit.centroids[centroid * d + j]);
  }
}

void VectorBlockClusterer::write_indices(const VectorBlockTask& task, const LloydFit& fit) const {
  const palettize::VectorBlock& block = task.block;
  const auto d = static_cast<std::uint64_t>(task.cluster_dim);
  const std::uint64_t per_column = block.rows / d;
  const std::uint64_t first_index_row = block.row_begin / d;
  for (std::uint64_t r = 0; r < per_column; ++r) {
    std::uint8_t* row = task.indices + (first_index_row + r) * task.matrix_cols + block.col_begin;
    for (std::uint64_t c = 0; c < block.cols; ++c)
      row[c] = fit.labels[c * per_column + r];
  }
}

}  // namespace kmlut::cpu
