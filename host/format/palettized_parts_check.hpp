// The check that the stored parts of a palettized tensor are exactly those its entry implies.
#pragma once

#include <string>

#include "kmlut/decode.hpp"

namespace kmlut::detail {

// Throws InputError naming `source` and the tensor for a missing part, a part of another dtype or
// shape, LUT quantization parts beside a float LUT, or bits after the last index.
void check_palettized_parts(const PalettizedTensorInfo& info, const PalettizedParts& parts,
                            const std::string& source);

}  // namespace kmlut::detail
