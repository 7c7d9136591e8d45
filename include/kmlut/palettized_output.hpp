// What a backend's result becomes in a kmlut v1 file: the "kmlut.tensors" entry and the parts with
// their bytes. The pipeline writes these through a CheckpointWriter; an embedder that calls
// Backend::run_batch itself may do the same or hand the parts to a writer of its own.
#pragma once

#include <vector>

#include "kmlut/format.hpp"
#include "kmlut/palettize.hpp"
#include "kmlut/safetensors.hpp"
#include "kmlut/safetensors_writer.hpp"

namespace kmlut {

// One stored tensor of the output and its bytes (a view into the PalettizeResult).
struct PartBytes {
  OutputTensor tensor;
  ByteView bytes;
};

struct PalettizedOutput {
  PalettizedTensorInfo info;     // the entry for "kmlut.tensors"
  std::vector<PartBytes> parts;  // in palettized_parts order
};

// The parts of `result` for `request`. The result must outlive the returned views. Throws Error
// naming the tensor when the result was not palettized or its bytes disagree with the shapes the
// format implies (a backend defect).
PalettizedOutput palettized_output(const PalettizeRequest& request, const PalettizeResult& result);

}  // namespace kmlut
