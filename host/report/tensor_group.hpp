// Which part of a transformer a tensor belongs to, from its name, for the report's "bytes by
// tensor group": embeddings, attention, MLP or other.
#pragma once

#include <string>
#include <string_view>

namespace kmlut::reporting {

enum class TensorGroup { Embeddings, Attention, Mlp, Other };

inline constexpr TensorGroup kTensorGroups[] = {TensorGroup::Embeddings, TensorGroup::Attention,
                                                TensorGroup::Mlp, TensorGroup::Other};

// Names of the Hugging Face families (BERT, GPT-2, LLaMA, Mistral, T5, ViT, ...): "embed",
// "wte"/"wpe" -> embeddings; "attn"/"attention", q/k/v/o projections -> attention; "mlp", "ffn",
// "intermediate", gate/up/down projections, fc1/fc2, a layer's own "output" (BERT) -> MLP.
TensorGroup tensor_group(std::string_view name);

// "embeddings", "attention", "MLP", "other".
std::string_view tensor_group_name(TensorGroup group);

}  // namespace kmlut::reporting
