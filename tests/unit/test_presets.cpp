// Presets (docs/architecture.md §5.4) and the chainable builder helpers of KMeansPalettizerConfig.
#include <gtest/gtest.h>

#include <string>

#include "kmlut/config.hpp"
#include "kmlut/error.hpp"

namespace kmlut {
namespace {

const std::string kLinear = "torch.nn.modules.linear.Linear";

PalettizationSpec grouped(int n_bits, std::optional<int> axis, std::int64_t group_size) {
  PalettizationSpec spec;
  spec.n_bits = n_bits;
  spec.granularity = Granularity::per_grouped_channel(axis, group_size);
  return spec;
}

// The module a preset must produce: the spec on "weight" and "in_proj_weight", all else default.
void expect_weights_only(const ModuleKMeansPalettizerConfig& module,
                         const PalettizationSpec& spec) {
  EXPECT_EQ(module.op_state_spec, (StateSpecMap{{"weight", spec}, {"in_proj_weight", spec}}));
  EXPECT_TRUE(module.op_type_config.empty());
  EXPECT_TRUE(module.op_name_config.empty());
  EXPECT_TRUE(module.module_state_spec.empty());
  EXPECT_TRUE(module.enable_fast_kmeans_mode);
  EXPECT_EQ(module.rounding_precision, 4);
}

TEST(Presets, W4IsFourBitGroupedAlongAxis0InGroupsOf16) {
  expect_weights_only(ModuleKMeansPalettizerConfig::w4(), grouped(4, 0, 16));
  const PalettizationSpec spec =
      ModuleKMeansPalettizerConfig::w4().op_state_spec.find("weight")->value();
  EXPECT_EQ(spec.cluster_dim, 1);
  EXPECT_FALSE(spec.enable_per_channel_scale);
  EXPECT_EQ(spec.lut_qspec, std::nullopt);
}

TEST(Presets, W4AndW6TakeAxisAndGroupSize) {
  expect_weights_only(ModuleKMeansPalettizerConfig::w4(1, 8), grouped(4, 1, 8));
  expect_weights_only(ModuleKMeansPalettizerConfig::w4(std::nullopt, 32),
                      grouped(4, std::nullopt, 32));
  expect_weights_only(ModuleKMeansPalettizerConfig::w6(), grouped(6, 0, 16));
  expect_weights_only(ModuleKMeansPalettizerConfig::w6(1, 4), grouped(6, 1, 4));
}

TEST(Presets, W8IsEightBitPerTensor) {
  PalettizationSpec spec;
  spec.n_bits = 8;
  expect_weights_only(ModuleKMeansPalettizerConfig::w8(), spec);
}

TEST(Presets, TopLevelPresetsSetOnlyTheGlobalConfig) {
  const auto w4 = KMeansPalettizerConfig::w4(1, 8);
  EXPECT_EQ(w4.global_config, ModuleKMeansPalettizerConfig::w4(1, 8));
  EXPECT_TRUE(w4.module_type_configs.empty());
  EXPECT_TRUE(w4.module_name_configs.empty());
  EXPECT_EQ(KMeansPalettizerConfig::w6().global_config, ModuleKMeansPalettizerConfig::w6());
  EXPECT_EQ(KMeansPalettizerConfig::w8().global_config, ModuleKMeansPalettizerConfig::w8());
}

TEST(Presets, LookupByName) {
  EXPECT_EQ(KMeansPalettizerConfig::preset("w4"), KMeansPalettizerConfig::w4());
  EXPECT_EQ(KMeansPalettizerConfig::preset("w6"), KMeansPalettizerConfig::w6());
  EXPECT_EQ(KMeansPalettizerConfig::preset("w8"), KMeansPalettizerConfig::w8());
  EXPECT_NE(KMeansPalettizerConfig::preset("w4"), KMeansPalettizerConfig::w6());
  try {
    KMeansPalettizerConfig::preset("w5");
    FAIL() << "w5 is no preset";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(), "unknown preset \"w5\" (expected one of: w4, w6, w8)");
  }
}

TEST(Presets, AreValid) {
  for (const char* name : {"w4", "w6", "w8"}) {
    EXPECT_NO_THROW(KMeansPalettizerConfig::preset(name).validate()) << name;
  }
}

TEST(Presets, DefaultConfigIsFourBitPerTensor) {
  const KMeansPalettizerConfig config;
  EXPECT_EQ(config.global_config.op_state_spec, default_op_state_spec());
  EXPECT_EQ(*config.global_config.op_state_spec.find("weight"), PalettizationSpec{});
  EXPECT_FALSE(config.global_config.is_disabled());
}

TEST(ConfigHelpers, DisabledHasEmptyMapsAndDefaultSettings) {
  const auto disabled = ModuleKMeansPalettizerConfig::disabled();
  EXPECT_TRUE(disabled.op_state_spec.empty());
  EXPECT_TRUE(disabled.op_type_config.empty());
  EXPECT_TRUE(disabled.op_name_config.empty());
  EXPECT_TRUE(disabled.module_state_spec.empty());
  EXPECT_TRUE(disabled.enable_fast_kmeans_mode);
  EXPECT_EQ(disabled.rounding_precision, 4);
  EXPECT_TRUE(disabled.is_disabled());
  auto other = disabled;
  other.enable_fast_kmeans_mode = false;
  EXPECT_FALSE(other.is_disabled());
  EXPECT_TRUE(OpKMeansPalettizerConfig::disabled().op_state_spec.empty());
}

TEST(ConfigHelpers, SetGlobalNullDisables) {
  KMeansPalettizerConfig config;
  config.set_global(std::nullopt);
  EXPECT_TRUE(config.global_config.is_disabled());
  config.set_global(ModuleKMeansPalettizerConfig::w8());
  EXPECT_EQ(config.global_config, ModuleKMeansPalettizerConfig::w8());
}

TEST(ConfigHelpers, SetReplacesInPlaceAndAppendsNewKeys) {
  KMeansPalettizerConfig config;
  config.set_module_name("a", ModuleKMeansPalettizerConfig::w8())
      .set_module_name("b", std::nullopt)
      .set_module_name("a", std::nullopt)
      .set_module_type(kLinear, ModuleKMeansPalettizerConfig::w6());
  ASSERT_EQ(config.module_name_configs.size(), 2U);
  EXPECT_EQ(config.module_name_configs.begin()->first, "a");  // kept its position
  EXPECT_TRUE(config.module_name_configs.find("a")->is_disabled());
  EXPECT_TRUE(config.module_name_configs.find("b")->is_disabled());
  EXPECT_EQ(*config.module_type_configs.find(kLinear), ModuleKMeansPalettizerConfig::w6());
}

// coreai_opt: presets.w4().only_for(nn.Linear, "lm_head") palettizes Linear modules and lm_head
// with w4 and nothing else.
TEST(ConfigHelpers, OnlyForMovesTheGlobalConfigToTheTargets) {
  const auto config = KMeansPalettizerConfig::w4().only_for(
      {ModuleTarget::type(kLinear), ModuleTarget::name("lm_head")});
  EXPECT_TRUE(config.global_config.is_disabled());
  EXPECT_EQ(*config.module_type_configs.find(kLinear), ModuleKMeansPalettizerConfig::w4());
  EXPECT_EQ(*config.module_name_configs.find("lm_head"), ModuleKMeansPalettizerConfig::w4());
  EXPECT_EQ(config.module_type_configs.size(), 1U);
  EXPECT_EQ(config.module_name_configs.size(), 1U);
}

// coreai_opt: presets.w4().without("lm_head") keeps w4 globally and skips lm_head.
TEST(ConfigHelpers, WithoutDisablesTheTargets) {
  const auto config = KMeansPalettizerConfig::w4().without(
      {ModuleTarget::name("lm_head"), ModuleTarget::type("torch.nn.modules.sparse.Embedding")});
  EXPECT_EQ(config.global_config, ModuleKMeansPalettizerConfig::w4());
  EXPECT_TRUE(config.module_name_configs.find("lm_head")->is_disabled());
  EXPECT_TRUE(config.module_type_configs.find("torch.nn.modules.sparse.Embedding")->is_disabled());
}

TEST(ConfigHelpers, ChainsAndDoesNotValidate) {
  KMeansPalettizerConfig config = KMeansPalettizerConfig::w8();
  config.set_module_name(".*mlp.*", ModuleKMeansPalettizerConfig::w4())
      .without({ModuleTarget::name(".*mlp\\.down_proj")})
      .set_module_type("Linear", std::nullopt);  // not fully qualified: validate() catches it
  const std::vector<std::string> expected = {".*mlp.*", ".*mlp\\.down_proj"};
  std::vector<std::string> keys;
  for (const auto& item : config.module_name_configs)
    keys.push_back(item.first);
  EXPECT_EQ(keys, expected);
  EXPECT_THROW(config.validate(), ConfigError);
}

}  // namespace
}  // namespace kmlut
