// The report's tensor groups on the names of real model families (BERT, GPT-2, LLaMA, Mixtral, T5,
// ViT, PyTorch MultiheadAttention), as their Hugging Face checkpoints spell them.
#include <gtest/gtest.h>

#include "host/report/tensor_group.hpp"

namespace kmlut::reporting {
namespace {

struct Case {
  const char* name;
  TensorGroup group;
};

TEST(TensorGroup, NamesOfRealModelFamilies) {
  const Case cases[] = {
      {"embeddings.word_embeddings.weight", TensorGroup::Embeddings},
      {"model.embed_tokens.weight", TensorGroup::Embeddings},
      {"transformer.wte.weight", TensorGroup::Embeddings},
      {"transformer.wpe.weight", TensorGroup::Embeddings},
      {"shared.weight", TensorGroup::Other},
      {"encoder.layer.0.attention.self.query.weight", TensorGroup::Attention},
      {"encoder.layer.0.attention.output.dense.weight", TensorGroup::Attention},
      {"model.layers.3.self_attn.k_proj.weight", TensorGroup::Attention},
      {"transformer.h.1.attn.c_attn.weight", TensorGroup::Attention},
      {"fusion.attn.in_proj_weight", TensorGroup::Attention},
      {"encoder.block.0.layer.0.SelfAttention.q.weight", TensorGroup::Attention},
      {"encoder.layer.0.intermediate.dense.weight", TensorGroup::Mlp},
      {"encoder.layer.0.output.dense.weight", TensorGroup::Mlp},
      {"model.layers.3.mlp.down_proj.weight", TensorGroup::Mlp},
      {"transformer.h.1.mlp.c_fc.weight", TensorGroup::Mlp},
      {"model.layers.0.block_sparse_moe.experts.0.w2.weight", TensorGroup::Mlp},
      {"vit.encoder.layer.2.output.dense.weight", TensorGroup::Mlp},
      {"model.layers.3.input_layernorm.weight", TensorGroup::Other},
      {"lm_head.weight", TensorGroup::Other},
      {"pooler.dense.weight", TensorGroup::Other},
      {"vision.stem.conv.weight", TensorGroup::Other},
  };
  for (const Case& c : cases)
    EXPECT_EQ(tensor_group(c.name), c.group) << c.name;
}

TEST(TensorGroup, MatchesWholeNameComponentsOnly) {
  // "key" inside "monkey", "value" inside "values": no attention.
  EXPECT_EQ(tensor_group("zoo.monkey.weight"), TensorGroup::Other);
  EXPECT_EQ(tensor_group("head.values_table"), TensorGroup::Other);
  EXPECT_EQ(tensor_group_name(TensorGroup::Mlp), "MLP");
}

}  // namespace
}  // namespace kmlut::reporting
