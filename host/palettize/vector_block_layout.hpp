// Which elements of a tensor share one LUT for vector palettization (cluster_dim = d > 1; DESIGN
// §3.4 steps 3 and 5). The tensor is seen as a matrix [S_0, numel / S_0] — the 2-D view coreai_opt
// uses for linear weights, for conv grouped on axis 0 (flatten(1)) and for conv with a kernel of
// 1 grouped on axis 1 — and a block is a rectangle of it. Vectors are d consecutive rows of one
// column: W[i·d + j, c] = LUT[idx[i, c]][j], so the indices form a matrix [S_0 / d, numel / S_0].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kmlut/spec.hpp"

namespace kmlut::palettize {

struct VectorBlock {
  std::uint64_t row_begin = 0;  // first row of the 2-D view
  std::uint64_t rows = 0;       // a multiple of d
  std::uint64_t col_begin = 0;
  std::uint64_t cols = 0;

  std::uint64_t vectors(int d) const { return rows / static_cast<std::uint64_t>(d) * cols; }
};

struct VectorBlockLayout {
  std::uint64_t matrix_rows = 0;  // S_0
  std::uint64_t matrix_cols = 0;  // numel / S_0
  std::vector<VectorBlock> blocks;
  std::vector<std::int64_t> lut_grid;  // as for scalar blocks: LUTs along each axis
  std::string skip_reason;             // non-empty: the tensor stays dense
};

VectorBlockLayout plan_vector_blocks(const std::vector<std::int64_t>& shape,
                                     const PalettizationSpec& spec);

}  // namespace kmlut::palettize
