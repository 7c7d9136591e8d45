// Inference of modules, types, ops and states from a bare checkpoint (docs/architecture.md §5.3).
#include <gtest/gtest.h>

#include "kmlut/model.hpp"
#include "unit/model_fixture.hpp"

namespace kmlut {
namespace {

using testing_support::small_model;
using testing_support::tensor;

const ModuleDescription& module(const ModelDescription& model, const std::string& name) {
  const ModuleDescription* found = model.find_module(name);
  if (found == nullptr)
    throw std::runtime_error("no module " + name);
  return *found;
}

TEST(ModelInference, SplitsTensorNamesIntoModuleAndState) {
  EXPECT_EQ(split_tensor_name("a.b.weight"),
            std::make_pair(std::string("a.b"), std::string("weight")));
  EXPECT_EQ(split_tensor_name("logit_scale"),
            std::make_pair(std::string(), std::string("logit_scale")));
}

TEST(ModelInference, WeightRankDecidesLinearAndConv) {
  const ModelDescription model = infer_model_description({
      tensor("fc.weight", {8, 4}),
      tensor("c1.weight", {8, 4, 3}),
      tensor("c2.weight", {8, 4, 3, 3}),
      tensor("c3.weight", {8, 4, 3, 3, 3}),
  });
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"fc", "linear"}, {"c1", "conv1d"}, {"c2", "conv2d"}, {"c3", "conv3d"}};
  for (const auto& [name, op_type] : expected) {
    const ModuleDescription& m = module(model, name);
    ASSERT_EQ(m.ops.size(), 1u) << name;
    EXPECT_EQ(m.ops[0].type, op_type);
    EXPECT_EQ(m.ops[0].name, name + "." + op_type);
  }
  EXPECT_EQ(module(model, "fc").type, "torch.nn.modules.linear.Linear");
  EXPECT_EQ(module(model, "c2").type, "torch.nn.modules.conv.Conv2d");
}

TEST(ModelInference, OpStatesAreAllOfTheModulesTensors) {
  const ModelDescription model = infer_model_description(small_model());
  const ModuleDescription& q = module(model, "layers.0.attn.q_proj");
  ASSERT_EQ(q.ops.size(), 1u);
  EXPECT_EQ(q.ops[0].states, (std::vector<std::string>{"weight", "bias"}));
  ASSERT_EQ(q.states.size(), 2u);
  EXPECT_EQ(q.states[1].tensor, "layers.0.attn.q_proj.bias");
}

TEST(ModelInference, InProjWeightMakesMultiheadAttention) {
  const ModelDescription model = infer_model_description(small_model());
  const ModuleDescription& mha = module(model, "mha");
  EXPECT_EQ(mha.type, "torch.nn.modules.activation.MultiheadAttention");
  ASSERT_EQ(mha.ops.size(), 1u);
  EXPECT_EQ(mha.ops[0].type, "multi_head_attention_forward");
  EXPECT_EQ(mha.ops[0].name, "mha.multi_head_attention_forward");
}

TEST(ModelInference, EmbeddingsAndNormsHaveNoOp) {
  const ModelDescription model = infer_model_description({
      tensor("model.embed_tokens.weight", {100, 8}),
      tensor("transformer.wte.weight", {100, 8}),
      tensor("transformer.wpe.weight", {16, 8}),
      tensor("embeddings.word_embeddings.weight", {100, 8}),
      tensor("model.norm.weight", {8}),
  });
  for (const char* name :
       {"model.embed_tokens", "transformer.wte", "transformer.wpe", "embeddings.word_embeddings"}) {
    EXPECT_EQ(module(model, name).type, "torch.nn.modules.sparse.Embedding") << name;
    EXPECT_TRUE(module(model, name).ops.empty()) << name;
  }
  EXPECT_EQ(module(model, "model.norm").type, "");
  EXPECT_TRUE(module(model, "model.norm").ops.empty());
}

TEST(ModelInference, RootTensorsBelongToTheRootModule) {
  const ModelDescription model = infer_model_description(small_model());
  const ModuleDescription& root = module(model, "");
  ASSERT_EQ(root.states.size(), 2u);
  EXPECT_EQ(root.states[0].name, "position_ids");
  EXPECT_TRUE(root.ops.empty());
}

}  // namespace
}  // namespace kmlut
