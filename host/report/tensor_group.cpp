#include "host/report/tensor_group.hpp"

#include <re2/re2.h>

namespace kmlut::reporting {
namespace {

// Whole dot-separated name components, case-insensitive; attention is tested before MLP so that
// BERT's "attention.output.dense" is attention and only a layer's own "N.output" is MLP.
const RE2& embeddings_pattern() {
  static const RE2 pattern(R"((?i)(^|\.)(\w*embed\w*|wte|wpe)(\.|$))");
  return pattern;
}

const RE2& attention_pattern() {
  static const RE2 pattern(
      R"((?i)(^|\.)(\w*attn\w*|\w*attention\w*|[qkvo]_proj|query|key|value|qkv|in_proj_\w+)(\.|$))");
  return pattern;
}

const RE2& mlp_pattern() {
  static const RE2 pattern(
      R"((?i)(^|\.)(\w*mlp\w*|\w*ffn\w*|feed_forward|intermediate|gate_proj|up_proj|down_proj|fc[12]|w[123]|dense_h_to_4h|dense_4h_to_h|\d+\.output)(\.|$))");
  return pattern;
}

}  // namespace

TensorGroup tensor_group(std::string_view name) {
  const re2::StringPiece text(name.data(), name.size());
  if (RE2::PartialMatch(text, embeddings_pattern()))
    return TensorGroup::Embeddings;
  if (RE2::PartialMatch(text, attention_pattern()))
    return TensorGroup::Attention;
  if (RE2::PartialMatch(text, mlp_pattern()))
    return TensorGroup::Mlp;
  return TensorGroup::Other;
}

std::string_view tensor_group_name(TensorGroup group) {
  switch (group) {
    case TensorGroup::Embeddings:
      return "embeddings";
    case TensorGroup::Attention:
      return "attention";
    case TensorGroup::Mlp:
      return "MLP";
    case TensorGroup::Other:
      break;
  }
  return "other";
}

}  // namespace kmlut::reporting
