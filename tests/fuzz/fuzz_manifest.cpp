// libFuzzer target for the model manifest (docs/manifest.md) against a fixed small checkpoint.
// Rejections must be kmlut::Error; any other exception or a sanitizer report crashes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kmlut/error.hpp"
#include "kmlut/model.hpp"

namespace {

kmlut::TensorInfo tensor(const std::string& name, std::vector<std::int64_t> shape) {
  kmlut::TensorInfo info;
  info.name = name;
  info.dtype = kmlut::DType::F32;
  info.shape = std::move(shape);
  return info;
}

const std::vector<kmlut::TensorInfo>& checkpoint_tensors() {
  static const std::vector<kmlut::TensorInfo> tensors{
      tensor("embed_tokens.weight", {100, 16}),  tensor("layers.0.attn.q_proj.weight", {16, 16}),
      tensor("layers.0.attn.q_proj.bias", {16}), tensor("layers.0.mlp.up_proj.weight", {64, 16}),
      tensor("mha.in_proj_weight", {48, 16}),    tensor("stem.conv.weight", {8, 4, 3, 3}),
      tensor("lm_head.weight", {100, 16}),       tensor("logit_scale", {})};
  return tensors;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    kmlut::parse_manifest(std::string(reinterpret_cast<const char*>(data), size), "fuzz",
                          checkpoint_tensors());
  } catch (const kmlut::Error&) {
    // A rejected manifest is the expected outcome for most mutations.
  }
  return 0;
}
