#include "kmlut/palettized_output.hpp"

#include "kmlut/error.hpp"

namespace kmlut {
namespace {

ByteView view(const std::vector<std::uint8_t>& bytes) {
  return {bytes.data(), bytes.size()};
}

}  // namespace

PalettizedOutput palettized_output(const PalettizeRequest& request, const PalettizeResult& result) {
  if (!result.palettized) {
    throw Error("tensor " + request.name + " was not palettized: " + result.skip_reason);
  }
  PalettizedOutput output;
  output.info = describe_palettized(request);
  const PalettizedShapes shapes = palettized_shapes(request);
  // The bytes of each part, in palettized_parts order: lut, indices, scale, lut_scale, zero point.
  std::vector<ByteView> bytes{view(result.lut), view(result.packed_indices)};
  if (output.info.scale)
    bytes.push_back(view(result.scale));
  if (shapes.quantized_lut()) {
    bytes.push_back(view(result.lut_scale));
    bytes.push_back(view(result.lut_zero_point));
  }
  std::vector<OutputTensor> parts = palettized_parts(output.info, shapes);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::uint64_t expected = tensor_byte_size(parts[i].dtype, parts[i].shape);
    if (bytes[i].size != expected) {
      throw Error("tensor " + request.name + ": the backend's " + parts[i].name + " has " +
                  std::to_string(bytes[i].size) + " bytes; " +
                  std::string(dtype_name(parts[i].dtype)) + " " + shape_text(parts[i].shape) +
                  " needs " + std::to_string(expected));
    }
    output.parts.push_back({std::move(parts[i]), bytes[i]});
  }
  return output;
}

}  // namespace kmlut
