// Resolution precedence (docs/architecture.md §5.2). Each test sets up a case that one rule alone
// decides: the competing entries carry different n_bits, so the winner is visible in the job's
// spec.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kmlut/error.hpp"
#include "kmlut/plan.hpp"
#include "unit/model_fixture.hpp"

namespace kmlut {
namespace {

using testing::HasSubstr;
using testing_support::job_for;
using testing_support::small_model;
using testing_support::tensor;

constexpr const char* kLinear = "torch.nn.modules.linear.Linear";

PalettizationSpec bits(int n_bits) {
  PalettizationSpec spec;
  spec.n_bits = n_bits;
  return spec;
}

ModuleKMeansPalettizerConfig weights_at(int n_bits) {
  ModuleKMeansPalettizerConfig config;
  config.op_state_spec = StateSpecMap{{"weight", bits(n_bits)}};
  return config;
}

OpKMeansPalettizerConfig op_weights_at(int n_bits) {
  return OpKMeansPalettizerConfig{StateSpecMap{{"weight", bits(n_bits)}}};
}

Plan plan_of(const KMeansPalettizerConfig& config,
             const std::vector<TensorInfo>& tensors = small_model()) {
  return resolve_plan(config, infer_model_description(tensors), tensors);
}

int n_bits_of(const Plan& plan, const std::string& tensor_name) {
  const Job& job = job_for(plan, tensor_name);
  return job.spec ? job.spec->n_bits : 0;  // 0: not palettized
}

TEST(ResolvePlan, DefaultConfigPalettizesWeightsOfOpsAtFourBitsPerTensor) {
  const Plan plan = plan_of(KMeansPalettizerConfig{});
  const Job& q = job_for(plan, "layers.0.attn.q_proj.weight");
  ASSERT_TRUE(q.spec.has_value());
  EXPECT_EQ(*q.spec, default_weight_palettization_spec());
  EXPECT_EQ(q.op, "layers.0.attn.q_proj.linear");
  EXPECT_EQ(q.op_type, "linear");
  EXPECT_EQ(q.module_type, kLinear);
  EXPECT_EQ(q.decided_by, "global_config > op_state_spec[\"weight\"]");
  EXPECT_EQ(n_bits_of(plan, "mha.in_proj_weight"), 4);
  EXPECT_EQ(n_bits_of(plan, "stem.conv.weight"), 4);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.bias"), 0);
  EXPECT_THAT(job_for(plan, "layers.0.attn.q_proj.bias").decided_by,
              HasSubstr("op_state_spec has no entry for \"bias\""));
}

TEST(ResolvePlan, EmbeddingsAndNormsAreOnlyReachedThroughModuleStateSpec) {
  const Plan by_default = plan_of(KMeansPalettizerConfig{});
  EXPECT_EQ(n_bits_of(by_default, "embed_tokens.weight"), 0);
  EXPECT_EQ(n_bits_of(by_default, "layers.0.norm.weight"), 0);

  KMeansPalettizerConfig config;
  ModuleKMeansPalettizerConfig embedding;
  embedding.module_state_spec = StateSpecMap{{"weight", bits(6)}};
  config.set_module_type("torch.nn.modules.sparse.Embedding", embedding);
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "embed_tokens.weight"), 6);
  EXPECT_EQ(job_for(plan, "embed_tokens.weight").decided_by,
            "module_type_configs[\"torch.nn.modules.sparse.Embedding\"] > "
            "module_state_spec[\"weight\"]");
}

TEST(ResolvePlan, ModuleNameBeatsModuleType) {
  KMeansPalettizerConfig config;
  config.set_module_name("layers\\.0\\.attn\\.q_proj", weights_at(2));
  config.set_module_type(kLinear, weights_at(6));
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 2);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.k_proj.weight"), 6);
}

TEST(ResolvePlan, ModuleTypeBeatsGlobal) {
  KMeansPalettizerConfig config;
  config.set_global(weights_at(8));
  config.set_module_type(kLinear, weights_at(3));
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.1.mlp.up_proj.weight"), 3);
  EXPECT_EQ(n_bits_of(plan, "stem.conv.weight"), 8);  // a conv: only global applies
}

TEST(ResolvePlan, NamePatternsMustMatchTheWholeName) {
  KMeansPalettizerConfig config;
  config.set_module_name("q_proj", weights_at(2));  // a search would match; a full match does not
  EXPECT_EQ(n_bits_of(plan_of(config), "layers.0.attn.q_proj.weight"), 4);
}

TEST(ResolvePlan, LastDefinedNamePatternWins) {
  KMeansPalettizerConfig config;
  config.set_module_name(".*q_proj", weights_at(2));
  config.set_module_name("layers\\.0\\..*", weights_at(6));
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 6);
  EXPECT_EQ(n_bits_of(plan, "layers.1.attn.q_proj.weight"), 2);

  KMeansPalettizerConfig reversed;
  reversed.set_module_name("layers\\.0\\..*", weights_at(6));
  reversed.set_module_name(".*q_proj", weights_at(2));
  EXPECT_EQ(n_bits_of(plan_of(reversed), "layers.0.attn.q_proj.weight"), 2);
}

TEST(ResolvePlan, AncestorMatchIsInheritedByDescendants) {
  KMeansPalettizerConfig config;
  config.set_module_name("layers\\.1", weights_at(3));  // matches no tensor's module directly
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.1.attn.q_proj.weight"), 3);
  EXPECT_EQ(n_bits_of(plan, "layers.1.mlp.up_proj.weight"), 3);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 4);
  EXPECT_EQ(job_for(plan, "layers.1.mlp.up_proj.weight").decided_by,
            "module_name_configs[\"layers\\\\.1\"] via ancestor \"layers.1\" > "
            "op_state_spec[\"weight\"]");
}

TEST(ResolvePlan, LaterAncestorPatternBeatsEarlierDirectPattern) {
  KMeansPalettizerConfig config;
  config.set_module_name("layers\\.0\\.attn\\.q_proj", weights_at(2));
  config.set_module_name("layers\\.0\\.attn", weights_at(6));
  EXPECT_EQ(n_bits_of(plan_of(config), "layers.0.attn.q_proj.weight"), 6);
}

TEST(ResolvePlan, InheritedConfigDropsModuleStateSpec) {
  ModuleKMeansPalettizerConfig parent = weights_at(3);
  parent.module_state_spec = StateSpecMap{{"bias", bits(8)}};
  KMeansPalettizerConfig direct;
  direct.set_module_name("layers\\.0\\.attn\\.q_proj", parent);
  EXPECT_EQ(n_bits_of(plan_of(direct), "layers.0.attn.q_proj.bias"), 8);

  KMeansPalettizerConfig inherited;
  inherited.set_module_name("layers\\.0\\.attn", parent);
  const Plan plan = plan_of(inherited);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.bias"), 0);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 3);  // the op settings do propagate
}

TEST(ResolvePlan, LastDefinedTypeKeyWinsAndTypesOfAncestorsCount) {
  const std::vector<TensorInfo> tensors = small_model();
  ModelDescription model = infer_model_description(tensors);
  model.modules.push_back({"layers.0", "my.Block", {}, {}});  // an ancestor known by type only
  KMeansPalettizerConfig config;
  config.set_module_type(kLinear, weights_at(2));
  config.set_module_type("my.Block", weights_at(6));
  const Plan plan = resolve_plan(config, model, tensors);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 6);
  EXPECT_EQ(n_bits_of(plan, "layers.1.attn.q_proj.weight"), 2);

  KMeansPalettizerConfig reversed;
  reversed.set_module_type("my.Block", weights_at(6));
  reversed.set_module_type(kLinear, weights_at(2));
  EXPECT_EQ(n_bits_of(resolve_plan(reversed, model, tensors), "layers.0.attn.q_proj.weight"), 2);
}

TEST(ResolvePlan, ModuleStateSpecBeatsOpNameConfig) {
  ModuleKMeansPalettizerConfig module = weights_at(4);
  module.op_name_config.insert_or_assign(".*q_proj\\.linear", op_weights_at(2));
  module.module_state_spec = StateSpecMap{{"weight", bits(8)}};
  KMeansPalettizerConfig config;
  config.set_module_type(kLinear, module);
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 8);
}

TEST(ResolvePlan, OpNameConfigBeatsOpTypeConfig) {
  ModuleKMeansPalettizerConfig global = weights_at(4);
  global.op_type_config.insert_or_assign("linear", op_weights_at(6));
  global.op_name_config.insert_or_assign(".*q_proj\\.linear", op_weights_at(2));
  KMeansPalettizerConfig config;
  config.set_global(global);
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 2);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.k_proj.weight"), 6);
  EXPECT_EQ(job_for(plan, "layers.0.attn.q_proj.weight").decided_by,
            "global_config > op_name_config[\".*q_proj\\\\.linear\"] > op_state_spec[\"weight\"]");
}

TEST(ResolvePlan, OpTypeConfigBeatsOpStateSpec) {
  ModuleKMeansPalettizerConfig global = weights_at(4);
  global.op_type_config.insert_or_assign("conv2d", op_weights_at(8));
  KMeansPalettizerConfig config;
  config.set_global(global);
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "stem.conv.weight"), 8);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 4);
}

TEST(ResolvePlan, LastDefinedOpNamePatternWins) {
  ModuleKMeansPalettizerConfig global = weights_at(4);
  global.op_name_config.insert_or_assign(".*\\.linear", op_weights_at(2));
  global.op_name_config.insert_or_assign("layers\\.1\\..*", op_weights_at(6));
  KMeansPalettizerConfig config;
  config.set_global(global);
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.1.mlp.up_proj.weight"), 6);
  EXPECT_EQ(n_bits_of(plan, "layers.0.mlp.up_proj.weight"), 2);
}

TEST(ResolvePlan, ExactStateNameBeatsWildcard) {
  ModuleKMeansPalettizerConfig global;
  global.op_state_spec = StateSpecMap{{"weight", bits(2)}, {"*", bits(6)}};
  KMeansPalettizerConfig config;
  config.set_global(global);
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 2);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.bias"), 6);
  EXPECT_EQ(job_for(plan, "layers.0.attn.q_proj.bias").decided_by,
            "global_config > op_state_spec[\"*\"]");
}

TEST(ResolvePlan, NullSpecMeansMatchedButNotPalettized) {
  ModuleKMeansPalettizerConfig global;
  global.op_state_spec = StateSpecMap{{"weight", std::nullopt}, {"*", bits(6)}};
  KMeansPalettizerConfig config;
  config.set_global(global);
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 0);  // the exact null wins over "*"
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.bias"), 6);
}

TEST(ResolvePlan, DisabledGlobalLeavesOnlyNamedModules) {
  KMeansPalettizerConfig config;
  config.set_global(std::nullopt);
  config.set_module_name("layers\\.1\\..*", weights_at(3));
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 0);
  EXPECT_THAT(job_for(plan, "layers.0.attn.q_proj.weight").decided_by,
              HasSubstr("global_config (null: disabled)"));
  EXPECT_EQ(n_bits_of(plan, "layers.1.attn.q_proj.weight"), 3);
}

TEST(ResolvePlan, WithoutAndOnlyForHelpers) {
  KMeansPalettizerConfig without = KMeansPalettizerConfig{}.without(
      {ModuleTarget::name("layers\\.0\\..*"), ModuleTarget::type("torch.nn.modules.conv.Conv2d")});
  const Plan plan = plan_of(without);
  EXPECT_EQ(n_bits_of(plan, "layers.0.attn.q_proj.weight"), 0);
  EXPECT_EQ(n_bits_of(plan, "stem.conv.weight"), 0);
  EXPECT_EQ(n_bits_of(plan, "layers.1.attn.q_proj.weight"), 4);

  KMeansPalettizerConfig only =
      KMeansPalettizerConfig::w8().only_for({ModuleTarget::type(kLinear)});
  const Plan only_plan = plan_of(only);
  EXPECT_EQ(n_bits_of(only_plan, "layers.0.attn.q_proj.weight"), 8);
  EXPECT_EQ(n_bits_of(only_plan, "mha.in_proj_weight"), 0);
}

TEST(ResolvePlan, IneligibleTensorsAreNeverPalettized) {
  ModuleKMeansPalettizerConfig everything;
  everything.module_state_spec = StateSpecMap{{"*", bits(4)}};
  KMeansPalettizerConfig config;
  config.set_module_name(".*", everything);
  const Plan plan = plan_of(config);
  EXPECT_EQ(n_bits_of(plan, "layers.0.norm.weight"), 4);
  EXPECT_EQ(n_bits_of(plan, "position_ids"), 0);
  EXPECT_THAT(job_for(plan, "position_ids").decided_by, HasSubstr("not eligible: dtype I64"));
  EXPECT_EQ(n_bits_of(plan, "logit_scale"), 0);
  EXPECT_THAT(job_for(plan, "logit_scale").decided_by, HasSubstr("fewer than 2 elements"));
}

TEST(ResolvePlan, NullAxisBecomesTheOpsDefaultAxis) {
  const std::vector<TensorInfo> tensors = {tensor("up.weight", {64, 16}),
                                           tensor("deconv.weight", {16, 32, 3, 3})};
  ModelDescription model = infer_model_description(tensors);
  for (ModuleDescription& module : model.modules) {
    if (module.name != "deconv")
      continue;
    module.type = "torch.nn.modules.conv.ConvTranspose2d";
    module.ops = {{"deconv.conv_transpose2d", "conv_transpose2d", {"weight"}}};
  }
  PalettizationSpec grouped;
  grouped.granularity = Granularity::per_grouped_channel(std::nullopt, 16);
  ModuleKMeansPalettizerConfig global;
  global.op_state_spec = StateSpecMap{{"weight", grouped}};
  KMeansPalettizerConfig config;
  config.set_global(global);
  const Plan plan = resolve_plan(config, model, tensors);
  EXPECT_EQ(job_for(plan, "up.weight").spec->granularity.axis, 0);
  EXPECT_EQ(job_for(plan, "deconv.weight").spec->granularity.axis, 1);
}

TEST(ResolvePlan, FastModeSettingsComeFromTheModuleConfig) {
  ModuleKMeansPalettizerConfig module = weights_at(4);
  module.enable_fast_kmeans_mode = false;
  module.rounding_precision = 6;
  module.op_type_config.insert_or_assign("linear", op_weights_at(2));
  KMeansPalettizerConfig config;
  config.set_module_name("layers\\.1\\..*", module);
  const Plan plan = plan_of(config);
  const Job& job = job_for(plan, "layers.1.mlp.up_proj.weight");
  EXPECT_EQ(job.spec->n_bits, 2);
  EXPECT_FALSE(job.enable_fast_kmeans_mode);
  EXPECT_EQ(job.rounding_precision, 6);
  EXPECT_TRUE(job_for(plan, "layers.0.mlp.up_proj.weight").enable_fast_kmeans_mode);
}

TEST(ResolvePlan, TiedTensorIsDecidedByTheHigherPriorityModule) {
  const std::vector<TensorInfo> tensors = {tensor("embed.weight", {100, 16})};
  ModelDescription model = infer_model_description(tensors);
  model.modules.push_back({"lm_head",
                           kLinear,
                           {{"weight", "embed.weight"}},
                           {{"lm_head.linear", "linear", {"weight"}}}});
  KMeansPalettizerConfig config;
  config.set_module_name("lm_head", weights_at(6));
  const Plan plan = resolve_plan(config, model, tensors);
  ASSERT_EQ(plan.jobs.size(), 1u);
  EXPECT_EQ(plan.jobs[0].spec->n_bits, 6);
  EXPECT_EQ(plan.jobs[0].module, "lm_head");
}

TEST(ResolvePlan, OneJobPerTensorInCheckpointOrder) {
  const std::vector<TensorInfo> tensors = small_model();
  const Plan plan = plan_of(KMeansPalettizerConfig{}, tensors);
  ASSERT_EQ(plan.jobs.size(), tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i)
    EXPECT_EQ(plan.jobs[i].tensor, tensors[i].name);
}

TEST(ResolvePlan, InvalidConfigIsRejected) {
  KMeansPalettizerConfig config;
  config.global_config.op_state_spec = StateSpecMap{{"weight", bits(5)}};
  EXPECT_THROW(plan_of(config), ConfigError);
}

}  // namespace
}  // namespace kmlut
