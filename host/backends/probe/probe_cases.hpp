// The tensors and requests of the parity probe (parity_probe.hpp), generated deterministically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kmlut/palettize.hpp"

namespace kmlut::probe {

// A tensor owning its bytes.
struct ProbeTensor {
  DType dtype = DType::F16;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;

  TensorView view() const { return {dtype, shape, bytes.data()}; }
};

// One path: its tensors and the requests over them (views into `tensors`, which must not move).
struct ProbePath {
  std::string name;
  std::vector<ProbeTensor> tensors;
  std::vector<PalettizeRequest> requests;
};

// Every path the probe covers, the last one all previous requests together in one batch. The
// returned paths own the tensors their requests view: keep them alive while the requests run.
std::vector<ProbePath> probe_paths();

}  // namespace kmlut::probe
