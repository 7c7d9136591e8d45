// What a backend's result becomes in a kmlut v1 file: the "kmlut.tensors" entry and the parts with
// their bytes. The pipeline writes these through a CheckpointWriter; an embedder that calls
// Backend::run_batch itself may do the same or hand the parts to a writer of its own.
#pragma once

#include "kmlut/format.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut {

// The parts of `result` for `request`. The result must outlive the returned views. Throws Error
// naming the tensor when the result was not palettized or its bytes disagree with the shapes the
// format implies (a backend defect).
PalettizedOutput palettized_output(const PalettizeRequest& request, const PalettizeResult& result);

}  // namespace kmlut
