// Config loading and saving (JSON and YAML), coreai_opt's absent-vs-null defaults, config-level
// validation and its messages, key order, round trips and the document limits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kmlut/config.hpp"
#include "kmlut/config_io.hpp"
#include "kmlut/error.hpp"

namespace kmlut {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string json_error(const std::string& text) {
  try {
    config_from_json(text, "c.json");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "<valid>";
}

std::string yaml_error(const std::string& text) {
  try {
    config_from_yaml(text, "c.yaml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "<valid>";
}

std::string validate_error(const KMeansPalettizerConfig& config) {
  try {
    config.validate();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "<valid>";
}

// `body` is the JSON value of kmeans_palettization_config.
std::string json_doc(const std::string& body) {
  return R"({"kmeans_palettization_config": )" + body + "}";
}

std::vector<std::string> keys_of(const OrderedMap<ModuleKMeansPalettizerConfig>& map) {
  std::vector<std::string> keys;
  for (const auto& item : map)
    keys.push_back(item.first);
  return keys;
}

PalettizationSpec bits(int n_bits) {
  PalettizationSpec spec;
  spec.n_bits = n_bits;
  return spec;
}

// --- the same document in both formats -------------------------------------------------------

constexpr const char* kRichJson = R"({
  "kmeans_palettization_config": {
    "global_config": {
      "op_state_spec": {"weight": {"n_bits": 6, "granularity":
          {"type": "per_grouped_channel", "axis": 0, "group_size": 16}}, "bias": null},
      "op_type_config": {"aten.conv2d.default": {"op_state_spec": {"*": {"n_bits": 2}}},
                         "linear": null},
      "op_name_config": {".*q_proj\\.linear": {"op_state_spec": null}},
      "enable_fast_kmeans_mode": false,
      "rounding_precision": 3
    },
    "module_type_configs": {"torch.nn.modules.sparse.Embedding":
        {"op_state_spec": null, "module_state_spec": {"weight": {"n_bits": 8,
         "lut_qspec": {"dtype": "int8", "qscheme": "asymmetric"}}}}},
    "module_name_configs": {"model\\.layers\\.0\\..*": null, "lm_head": {}}
  }
})";

constexpr const char* kRichYaml = R"(
kmeans_palettization_config:
  global_config:
    op_state_spec:
      weight:
        n_bits: 6
        granularity: {type: per_grouped_channel, axis: 0, group_size: 16}
      bias: ~
    op_type_config:
      aten.conv2d.default: {op_state_spec: {"*": {n_bits: 2}}}
      linear:
    op_name_config:
      '.*q_proj\.linear': {op_state_spec: null}
    enable_fast_kmeans_mode: false
    rounding_precision: 3
  module_type_configs:
    torch.nn.modules.sparse.Embedding:
      op_state_spec: null
      module_state_spec:
        weight: {n_bits: 8, lut_qspec: {dtype: int8, qscheme: asymmetric}}
  module_name_configs:
    "model\\.layers\\.0\\..*": null
    lm_head: {}
)";

KMeansPalettizerConfig rich_config() {
  ModuleKMeansPalettizerConfig global;
  PalettizationSpec weight = bits(6);
  weight.granularity = Granularity::per_grouped_channel(0, 16);
  global.op_state_spec = {{"weight", weight}, {"bias", std::nullopt}};
  global.op_type_config.insert_or_assign("conv2d",
                                         OpKMeansPalettizerConfig{StateSpecMap{{"*", bits(2)}}});
  global.op_type_config.insert_or_assign("linear", OpKMeansPalettizerConfig::disabled());
  global.op_name_config.insert_or_assign(".*q_proj\\.linear", OpKMeansPalettizerConfig::disabled());
  global.enable_fast_kmeans_mode = false;
  global.rounding_precision = 3;

  ModuleKMeansPalettizerConfig embedding;
  embedding.op_state_spec = {};
  PalettizationSpec eight = bits(8);
  eight.lut_qspec = LutQSpec{LutDType::Int8, QScheme::Asymmetric};
  embedding.module_state_spec = {{"weight", eight}};

  KMeansPalettizerConfig config;
  config.global_config = global;
  config.set_module_type("torch.nn.modules.sparse.Embedding", embedding)
      .set_module_name("model\\.layers\\.0\\..*", std::nullopt)
      .set_module_name("lm_head", ModuleKMeansPalettizerConfig{});
  return config;
}

TEST(ConfigIo, JsonLoadsTheExpectedConfig) {
  EXPECT_EQ(config_from_json(kRichJson), rich_config());
}

TEST(ConfigIo, YamlLoadsTheSameConfigAsJson) {
  EXPECT_EQ(config_from_yaml(kRichYaml), config_from_json(kRichJson));
}

// --- YAML specifics -------------------------------------------------------------------------

TEST(ConfigIoYaml, AnchorsAndAliasesAreResolved) {
  const auto config = config_from_yaml(R"(
palettization_spec: &s {n_bits: 2}
kmeans_palettization_config:
  global_config:
    op_state_spec: {weight: *s, in_proj_weight: *s}
)");
  EXPECT_EQ(config.global_config.op_state_spec,
            (StateSpecMap{{"weight", bits(2)}, {"in_proj_weight", bits(2)}}));
}

TEST(ConfigIoYaml, MergeKeyTakesAMappingAliasAndOwnKeysWin) {
  const auto config = config_from_yaml(R"(
palettization_spec:
  base: &base {n_bits: 2, cluster_dim: 1, enable_per_channel_scale: true}
kmeans_palettization_config:
  global_config:
    op_state_spec:
      weight:
        <<: *base
        n_bits: 6
)");
  PalettizationSpec expected = bits(6);
  expected.enable_per_channel_scale = true;
  EXPECT_EQ(config.global_config.op_state_spec, (StateSpecMap{{"weight", expected}}));
}

TEST(ConfigIoYaml, MergeOfAListGivesTheEarlierMappingPrecedence) {
  const auto config = config_from_yaml(R"(
palettization_spec:
  a: &a {n_bits: 2}
  b: &b {n_bits: 8, enable_per_channel_scale: true}
kmeans_palettization_config:
  global_config:
    op_state_spec:
      weight: {<<: [*a, *b]}
)");
  PalettizationSpec expected = bits(2);
  expected.enable_per_channel_scale = true;
  EXPECT_EQ(config.global_config.op_state_spec, (StateSpecMap{{"weight", expected}}));
}

TEST(ConfigIoYaml, MergeNeedsMappings) {
  EXPECT_THAT(yaml_error("kmeans_palettization_config:\n  <<: 4\n"),
              HasSubstr("<< merges a mapping or a list of mappings"));
}

TEST(ConfigIoYaml, ScalarsFollowTheCoreSchema) {
  const auto config = config_from_yaml(R"(
kmeans_palettization_config:
  global_config:
    op_state_spec:
      a: {n_bits: 0x4, cluster_dim: +1}
      b: {n_bits: 0o10, enable_per_channel_scale: True}
      c: Null
      d:
    enable_fast_kmeans_mode: FALSE
)");
  PalettizationSpec b = bits(8);
  b.enable_per_channel_scale = true;
  EXPECT_EQ(config.global_config.op_state_spec,
            (StateSpecMap{{"a", bits(4)}, {"b", b}, {"c", std::nullopt}, {"d", std::nullopt}}));
  EXPECT_FALSE(config.global_config.enable_fast_kmeans_mode);
}

TEST(ConfigIoYaml, QuotedScalarsAreStrings) {
  const std::string path = "kmeans_palettization_config.global_config.op_state_spec.weight";
  EXPECT_EQ(yaml_error("kmeans_palettization_config:\n  global_config:\n    op_state_spec:\n"
                       "      weight: {n_bits: \"4\"}\n"),
            "c.yaml: " + path + ".n_bits: expected an integer, got \"4\"");
  EXPECT_EQ(yaml_error("kmeans_palettization_config:\n  global_config:\n    op_state_spec:\n"
                       "      weight: {n_bits: 4.0}\n"),
            "c.yaml: " + path + ".n_bits: expected an integer, got 4.0");
  // YAML 1.2: "yes" is a string, not a boolean.
  EXPECT_EQ(yaml_error("kmeans_palettization_config:\n  global_config:\n"
                       "    enable_fast_kmeans_mode: yes\n"),
            "c.yaml: kmeans_palettization_config.global_config.enable_fast_kmeans_mode: "
            "expected a boolean, got \"yes\"");
  EXPECT_THAT(yaml_error("kmeans_palettization_config:\n  global_config:\n"
                         "    enable_fast_kmeans_mode: 'true'\n"),
              HasSubstr("expected a boolean, got \"true\""));
}

TEST(ConfigIoYaml, SyntaxErrorsGiveLineAndColumn) {
  EXPECT_THAT(yaml_error("kmeans_palettization_config:\n  global_config: [1, 2\n"),
              StartsWith("c.yaml: invalid YAML at line "));
}

TEST(ConfigIoYaml, OnlyOneDocument) {
  EXPECT_EQ(yaml_error("kmeans_palettization_config: {}\n---\nkmeans_palettization_config: {}\n"),
            "c.yaml: expected one YAML document, found another at line 2, column 1");
}

// yaml-cpp's LoadAll never ends on this input (found by fuzz_config); the loader stops at the
// second document.
TEST(ConfigIoYaml, TextAfterAFlowMappingIsAnError) {
  EXPECT_EQ(yaml_error("{a: 1}, b\n"),
            "c.yaml: expected one YAML document, found another at line 1, column 7");
}

TEST(ConfigIoYaml, UnsupportedTagsAreRejected) {
  EXPECT_THAT(yaml_error("kmeans_palettization_config: !custom {}\n"),
              HasSubstr("unsupported tag"));
}

// --- top level -------------------------------------------------------------------------------

TEST(ConfigIoDocument, EmptyDocumentsAreErrors) {
  EXPECT_EQ(yaml_error(""), "c.yaml: empty configuration");
  EXPECT_EQ(yaml_error("# only a comment\n"), "c.yaml: empty configuration");
  EXPECT_EQ(yaml_error("~\n"), "c.yaml: empty configuration");
  EXPECT_EQ(json_error("null"), "c.json: empty configuration");
}

TEST(ConfigIoDocument, TopLevelMustBeAMappingWithTheConfigKey) {
  EXPECT_EQ(json_error("[1]"), "c.json: expected a mapping at the top level, got an array");
  EXPECT_EQ(yaml_error("just text\n"),
            "c.yaml: expected a mapping at the top level, got \"just text\"");
  EXPECT_EQ(json_error("{}"),
            "c.json: missing required key \"kmeans_palettization_config\" (the palettizer "
            "configuration)");
  EXPECT_EQ(json_error(R"({"kmeans_palettization_config": {}, "extra": 1})"),
            "c.json: unknown key \"extra\" (expected one of: kmeans_palettization_config, "
            "palettization_spec)");
  EXPECT_EQ(json_error(R"({"kmeans_palettization_config": null})"),
            "c.json: kmeans_palettization_config: expected an object, got null");
}

TEST(ConfigIoDocument, PalettizationSpecIsIgnored) {
  EXPECT_EQ(config_from_json(R"({"palettization_spec": {"anything": [1, 2]},
                                 "kmeans_palettization_config": {}})"),
            KMeansPalettizerConfig{});
}

TEST(ConfigIoDocument, UnknownConfigKeysAreListed) {
  EXPECT_EQ(json_error(json_doc(R"({"global": {}})")),
            "c.json: kmeans_palettization_config: unknown key \"global\" (expected one of: "
            "global_config, module_type_configs, module_name_configs)");
  EXPECT_EQ(json_error(json_doc(R"({"global_config": {"op_state": {}}})")),
            "c.json: kmeans_palettization_config.global_config: unknown key \"op_state\" "
            "(expected one of: op_state_spec, op_input_spec, op_output_spec, op_type_config, "
            "op_name_config, module_state_spec, module_input_spec, module_output_spec, "
            "enable_fast_kmeans_mode, rounding_precision, pat_schedule)");
}

TEST(ConfigIoDocument, EmptyActivationSpecsFromCoreaiOptDumpsAreAccepted) {
  EXPECT_EQ(config_from_json(json_doc(R"({"global_config": {"op_input_spec": null,
      "op_output_spec": {}, "module_input_spec": null, "module_output_spec": null}})")),
            KMeansPalettizerConfig{});
  // coreai_opt's own dump writes {"*": null}: only null entries.
  EXPECT_EQ(config_from_json(json_doc(R"({"global_config": {"op_input_spec": {"*": null}}})")),
            KMeansPalettizerConfig{});
  EXPECT_EQ(json_error(json_doc(R"({"global_config": {"op_input_spec": {"x": {}}}})")),
            "c.json: kmeans_palettization_config.global_config.op_input_spec: palettization is "
            "weight-only, expected null, {} or only null entries, got an object");
}

TEST(ConfigIoSpec, OneSpecLoadsWithItsDefaultsAndErrorsNameTheSource) {
  PalettizationSpec expected;
  expected.n_bits = 3;
  expected.granularity = Granularity::per_grouped_channel(1, 8);
  EXPECT_EQ(spec_from_json(R"({"n_bits": 3, "granularity": {"type": "per_grouped_channel",
      "axis": 1, "group_size": 8}})"),
            expected);
  EXPECT_EQ(spec_from_json("{}"), default_weight_palettization_spec());
  try {
    spec_from_json(R"({"n_bits": 5})", "spec");
    FAIL() << "n_bits 5 was accepted";
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(), StartsWith("spec: palettization_spec.n_bits: 5 is not one of"));
  }
}

// --- absent vs null --------------------------------------------------------------------------

TEST(ConfigIoDefaults, GlobalConfigAbsentIsTheDefaultEvenBesideOtherKeys) {
  const auto config = config_from_json(
      json_doc(R"({"module_type_configs": {"torch.nn.modules.linear.Linear": null}})"));
  EXPECT_EQ(config.global_config, ModuleKMeansPalettizerConfig{});
  EXPECT_EQ(config.global_config.op_state_spec, default_op_state_spec());
  EXPECT_EQ(config_from_json(json_doc(R"({"global_config": {}})")).global_config,
            ModuleKMeansPalettizerConfig{});
}

TEST(ConfigIoDefaults, GlobalConfigNullIsDisabled) {
  const auto config = config_from_json(json_doc(R"({"global_config": null})"));
  EXPECT_TRUE(config.global_config.is_disabled());
  EXPECT_TRUE(config.global_config.op_state_spec.empty());
}

TEST(ConfigIoDefaults, OpStateSpecAbsentMeansWeightAndInProjWeight) {
  const auto config = config_from_json(json_doc(R"({"global_config": {"rounding_precision": 2}})"));
  EXPECT_EQ(
      config.global_config.op_state_spec,
      (StateSpecMap{{"weight", PalettizationSpec{}}, {"in_proj_weight", PalettizationSpec{}}}));
}

TEST(ConfigIoDefaults, OpStateSpecNullMeansNothing) {
  const auto config = config_from_json(json_doc(R"({"global_config": {"op_state_spec": null}})"));
  EXPECT_TRUE(config.global_config.op_state_spec.empty());
  const auto op = config_from_json(
      json_doc(R"({"global_config": {"op_type_config": {"linear": {"op_state_spec": null}}}})"));
  EXPECT_EQ(*op.global_config.op_type_config.find("linear"), OpKMeansPalettizerConfig::disabled());
  const auto op_default =
      config_from_json(json_doc(R"({"global_config": {"op_type_config": {"linear": {}}}})"));
  EXPECT_EQ(op_default.global_config.op_type_config.find("linear")->op_state_spec,
            default_op_state_spec());
}

TEST(ConfigIoDefaults, NullEntriesAreDisabledConfigs) {
  const auto config = config_from_json(json_doc(R"({
      "global_config": {"op_type_config": {"linear": null}, "op_name_config": {"x": null},
                        "module_state_spec": null, "op_state_spec": {"weight": null}},
      "module_type_configs": {"a.B": null}, "module_name_configs": {"c": null}})"));
  const auto& global = config.global_config;
  EXPECT_EQ(*global.op_type_config.find("linear"), OpKMeansPalettizerConfig::disabled());
  EXPECT_EQ(*global.op_name_config.find("x"), OpKMeansPalettizerConfig::disabled());
  EXPECT_TRUE(global.module_state_spec.empty());
  ASSERT_TRUE(global.op_state_spec.contains("weight"));
  EXPECT_EQ(*global.op_state_spec.find("weight"), std::nullopt);  // matched, not palettized
  EXPECT_TRUE(config.module_type_configs.find("a.B")->is_disabled());
  EXPECT_TRUE(config.module_name_configs.find("c")->is_disabled());
}

TEST(ConfigIoDefaults, NullMapsAreEmpty) {
  const auto config = config_from_json(json_doc(
      R"({"module_type_configs": null, "module_name_configs": null,
          "global_config": {"op_type_config": null, "op_name_config": null}})"));
  EXPECT_EQ(config, KMeansPalettizerConfig{});
}

// --- op type keys ----------------------------------------------------------------------------

TEST(ConfigIoOpTypes, AtenSpellingsAreNormalised) {
  const auto config = config_from_json(json_doc(R"({"global_config": {"op_type_config": {
      "aten.linear.default": null, "conv_transpose2d": null,
      "aten.multi_head_attention_forward.default": null}}})"));
  std::vector<std::string> keys;
  for (const auto& item : config.global_config.op_type_config)
    keys.push_back(item.first);
  EXPECT_EQ(keys, (std::vector<std::string>{"linear", "conv_transpose2d",
                                            "multi_head_attention_forward"}));
  EXPECT_EQ(normalize_op_type("aten.conv3d.default"), "conv3d");
  EXPECT_EQ(normalize_op_type("conv1d"), "conv1d");
  EXPECT_EQ(normalize_op_type("aten.embedding.default"), std::nullopt);
  EXPECT_EQ(normalize_op_type("aten.linear"), std::nullopt);
  EXPECT_EQ(supported_op_types().size(), 8U);
}

TEST(ConfigIoOpTypes, UnknownOpTypeListsTheAcceptedOnes) {
  EXPECT_EQ(json_error(json_doc(R"({"global_config": {"op_type_config": {"embedding": null}}})")),
            "c.json: kmeans_palettization_config.global_config.op_type_config.embedding: unknown "
            "op type \"embedding\" (expected one of: linear, conv1d, conv2d, conv3d, "
            "conv_transpose1d, conv_transpose2d, conv_transpose3d, multi_head_attention_forward, "
            "or aten.<name>.default of these)");
}

TEST(ConfigIoOpTypes, KeysThatNormaliseToTheSameTypeCollide) {
  EXPECT_EQ(json_error(json_doc(R"({"global_config": {"op_type_config":
                                    {"linear": null, "aten.linear.default": {}}}})")),
            "c.json: kmeans_palettization_config.global_config.op_type_config[\"aten.linear."
            "default\"]: op type \"aten.linear.default\" duplicates \"linear\" (both are "
            "\"linear\")");
}

TEST(ConfigIoOpTypes, ValidateWantsTheShortForm) {
  KMeansPalettizerConfig config;
  config.global_config.op_type_config.insert_or_assign("aten.linear.default", {});
  EXPECT_EQ(validate_error(config),
            "kmeans_palettization_config.global_config.op_type_config[\"aten.linear.default\"]: "
            "op type keys are stored in the short form, write \"linear\"");
}

// --- validation rules and their messages (loaded and built give the same message) -----------

TEST(ConfigValidation, KeyPathsQuoteNonWordKeys) {
  const std::string path =
      "kmeans_palettization_config.module_name_configs[\"model\\\\.layers\\\\..*\"]"
      ".op_state_spec.weight.n_bits";
  EXPECT_EQ(json_error(json_doc(R"({"module_name_configs": {"model\\.layers\\..*":
                                    {"op_state_spec": {"weight": {"n_bits": 5}}}}})")),
            "c.json: " + path + ": 5 is not one of 1, 2, 3, 4, 6, 8");
  KMeansPalettizerConfig config;
  ModuleKMeansPalettizerConfig module;
  module.op_state_spec = {{"weight", bits(5)}};
  config.set_module_name("model\\.layers\\..*", module);
  EXPECT_EQ(validate_error(config), path + ": 5 is not one of 1, 2, 3, 4, 6, 8");
}

TEST(ConfigValidation, InvalidRegexNamesTheKey) {
  EXPECT_EQ(json_error(json_doc(R"({"module_name_configs": {"(": null}})")),
            "c.json: kmeans_palettization_config.module_name_configs[\"(\"]: invalid regular "
            "expression \"(\": missing ): (");
  // RE2 has no lookaround and no backreferences.
  EXPECT_THAT(
      json_error(json_doc(R"j({"module_name_configs": {"a(?=b)": null}})j")),
      HasSubstr("module_name_configs[\"a(?=b)\"]: invalid regular expression \"a(?=b)\": "));
  EXPECT_THAT(yaml_error("kmeans_palettization_config:\n  global_config:\n    op_name_config:\n"
                         "      '(a)\\1': null\n"),
              HasSubstr("global_config.op_name_config[\"(a)\\\\1\"]: invalid regular expression "
                        "\"(a)\\\\1\": "));
}

TEST(ConfigValidation, FastModeForbidsVectorsInOpStateSpec) {
  const std::string body =
      R"({"module_type_configs": {"torch.nn.modules.linear.Linear":
          {"op_state_spec": {"weight": {"cluster_dim": 2}}}}})";
  EXPECT_EQ(json_error(json_doc(body)),
            "c.json: kmeans_palettization_config.module_type_configs[\"torch.nn.modules.linear."
            "Linear\"].op_state_spec.weight.cluster_dim: 2 requires enable_fast_kmeans_mode: "
            "false");
  const std::string off =
      R"({"global_config": {"enable_fast_kmeans_mode": false,
          "op_state_spec": {"weight": {"cluster_dim": 2}}}})";
  EXPECT_EQ(json_error(json_doc(off)), "<valid>");
  // coreai_opt checks op_state_spec only, not op_type_config or module_state_spec.
  const std::string elsewhere =
      R"({"global_config": {"op_type_config": {"linear": {"op_state_spec":
          {"weight": {"cluster_dim": 2}}}}}})";
  EXPECT_EQ(json_error(json_doc(elsewhere)), "<valid>");
}

TEST(ConfigValidation, GlobalConfigMayNotCarryModuleStateSpec) {
  EXPECT_EQ(json_error(json_doc(R"({"global_config": {"module_state_spec": {"weight": {}}}})")),
            "c.json: kmeans_palettization_config.global_config.module_state_spec: not allowed on "
            "global_config (use module_type_configs or module_name_configs)");
  KMeansPalettizerConfig config;
  config.global_config.module_state_spec = {{"weight", PalettizationSpec{}}};
  EXPECT_EQ(validate_error(config),
            "kmeans_palettization_config.global_config.module_state_spec: not allowed on "
            "global_config (use module_type_configs or module_name_configs)");
}

TEST(ConfigValidation, ModuleTypesMustBeFullyQualified) {
  EXPECT_EQ(json_error(json_doc(R"({"module_type_configs": {"Linear": null}})")),
            "c.json: kmeans_palettization_config.module_type_configs.Linear: module type must be "
            "fully qualified, e.g. \"torch.nn.modules.linear.Linear\"");
}

TEST(ConfigValidation, RoundingPrecisionMustBePositive) {
  EXPECT_EQ(json_error(json_doc(R"({"global_config": {"rounding_precision": 0}})")),
            "c.json: kmeans_palettization_config.global_config.rounding_precision: must be > 0, "
            "got 0");
  EXPECT_EQ(json_error(json_doc(R"({"global_config": {"rounding_precision": "4"}})")),
            "c.json: kmeans_palettization_config.global_config.rounding_precision: expected an "
            "integer, got \"4\"");
}

TEST(ConfigValidation, MapsMustBeObjects) {
  EXPECT_EQ(json_error(json_doc(R"({"module_name_configs": ["a"]})")),
            "c.json: kmeans_palettization_config.module_name_configs: expected an object or null, "
            "got an array");
  EXPECT_EQ(json_error(json_doc(R"({"module_name_configs": {"a": 4}})")),
            "c.json: kmeans_palettization_config.module_name_configs.a: expected an object or "
            "null, got 4");
}

TEST(ConfigValidation, ValidConfigsPass) {
  EXPECT_EQ(validate_error(rich_config()), "<valid>");
  EXPECT_EQ(validate_error(KMeansPalettizerConfig{}), "<valid>");
}

// --- duplicate keys --------------------------------------------------------------------------

TEST(ConfigIoDuplicates, JsonDuplicateKeysAreErrors) {
  EXPECT_EQ(json_error(json_doc(R"({"module_name_configs": {"a\\.b": null, "a\\.b": {}}})")),
            "c.json: kmeans_palettization_config.module_name_configs: duplicate key \"a\\\\.b\"");
  EXPECT_EQ(json_error(R"({"kmeans_palettization_config": {}, "kmeans_palettization_config": {}})"),
            "c.json: duplicate key \"kmeans_palettization_config\"");
  EXPECT_EQ(json_error(R"({"palettization_spec": [{}, {"x": 1, "x": 2}],
                           "kmeans_palettization_config": {}})"),
            "c.json: palettization_spec[1]: duplicate key \"x\"");
}

TEST(ConfigIoDuplicates, YamlDuplicateKeysAreErrors) {
  EXPECT_EQ(yaml_error("kmeans_palettization_config:\n  global_config:\n    op_state_spec:\n"
                       "      weight: {n_bits: 2}\n      weight: {n_bits: 4}\n"),
            "c.yaml: kmeans_palettization_config.global_config.op_state_spec: duplicate key "
            "\"weight\" (line 5, column 7)");
}

// --- key order and round trips ---------------------------------------------------------------

TEST(ConfigIoOrder, ModuleNameConfigsKeepFileOrder) {
  const std::vector<std::string> expected = {"z.*", "a.*", "m\\.x", "b"};
  const auto from_json = config_from_json(
      json_doc(R"({"module_name_configs": {"z.*": null, "a.*": {}, "m\\.x": null, "b": {}}})"));
  EXPECT_EQ(keys_of(from_json.module_name_configs), expected);
  const auto from_yaml = config_from_yaml(
      "kmeans_palettization_config:\n  module_name_configs:\n    z.*: null\n    a.*: {}\n"
      "    'm\\.x': null\n    b: {}\n");
  EXPECT_EQ(keys_of(from_yaml.module_name_configs), expected);
  EXPECT_EQ(keys_of(config_from_json(config_to_json(from_json)).module_name_configs), expected);
  EXPECT_EQ(keys_of(config_from_yaml(config_to_yaml(from_json)).module_name_configs), expected);
}

std::vector<KMeansPalettizerConfig> round_trip_configs() {
  std::vector<KMeansPalettizerConfig> configs = {
      KMeansPalettizerConfig{},         KMeansPalettizerConfig::w4(),
      KMeansPalettizerConfig::w6(1, 8), KMeansPalettizerConfig::w4(std::nullopt, 32),
      KMeansPalettizerConfig::w8(),     rich_config()};
  configs.push_back(KMeansPalettizerConfig{}.set_global(std::nullopt));
  configs.push_back(KMeansPalettizerConfig::w4().only_for(
      {ModuleTarget::type("torch.nn.modules.linear.Linear"), ModuleTarget::name("lm_head")}));

  // Keys that need quoting in YAML and escaping in JSON.
  KMeansPalettizerConfig tricky;
  for (const char* key : {"a\\.b\\d+", "say \"hi\"", "true", "null", "123", "-1", "x: y",
                          "# not a comment", "tab\there", "ünï", "~", "", "yes", "[a]"}) {
    tricky.set_module_name(key, ModuleKMeansPalettizerConfig::w8());
  }
  ModuleKMeansPalettizerConfig states;
  states.op_state_spec = {{"weight", std::nullopt}, {"*", bits(1)}, {"bias", PalettizationSpec{}}};
  states.module_state_spec = {{"weight", std::nullopt}};
  states.op_name_config.insert_or_assign("(?i)Q_PROJ", OpKMeansPalettizerConfig{StateSpecMap{}});
  states.op_name_config.insert_or_assign("k", OpKMeansPalettizerConfig{});
  states.op_type_config.insert_or_assign(
      "multi_head_attention_forward",
      OpKMeansPalettizerConfig{StateSpecMap{{"in_proj_weight", bits(3)}}});
  tricky.set_module_type("my.pkg.Block", states);
  // Not disabled although op_state_spec is empty: must not collapse to null.
  ModuleKMeansPalettizerConfig almost_disabled = ModuleKMeansPalettizerConfig::disabled();
  almost_disabled.rounding_precision = 7;
  tricky.set_module_type("my.pkg.Other", almost_disabled);
  configs.push_back(tricky);
  return configs;
}

TEST(ConfigIoRoundTrip, JsonAndYamlReproduceEveryConfig) {
  for (const auto& config : round_trip_configs()) {
    ASSERT_EQ(validate_error(config), "<valid>");
    const std::string json = config_to_json(config);
    EXPECT_EQ(config_from_json(json), config) << json;
    const std::string yaml = config_to_yaml(config);
    EXPECT_EQ(config_from_yaml(yaml), config) << yaml;
    EXPECT_EQ(config_from_json(config_to_json(config, -1)), config);
  }
}

TEST(ConfigIoRoundTrip, SerialisationIsExplicitAndDisabledIsNull) {
  KMeansPalettizerConfig config;
  config.set_global(std::nullopt).set_module_name("a", ModuleKMeansPalettizerConfig::w8());
  EXPECT_EQ(config_to_json(config, -1),
            R"({"kmeans_palettization_config":{"global_config":null,"module_type_configs":{},)"
            R"("module_name_configs":{"a":{"op_state_spec":{"weight":{"n_bits":8,"granularity":)"
            R"({"type":"per_tensor"},"cluster_dim":1,"enable_per_channel_scale":false,)"
            R"("lut_qspec":null},"in_proj_weight":{"n_bits":8,"granularity":{"type":)"
            R"("per_tensor"},"cluster_dim":1,"enable_per_channel_scale":false,"lut_qspec":)"
            R"(null}},"op_type_config":{},"op_name_config":{},"module_state_spec":{},)"
            R"("enable_fast_kmeans_mode":true,"rounding_precision":4}}}})");
}

TEST(ConfigIoRoundTrip, YamlIsBlockStyleWithQuotedKeysWhereNeeded) {
  KMeansPalettizerConfig config;
  config.set_global(std::nullopt).set_module_name("model\\.layers\\..*", std::nullopt);
  config.set_module_name("true", std::nullopt).set_module_type("torch.nn.Linear", std::nullopt);
  EXPECT_EQ(config_to_yaml(config),
            "kmeans_palettization_config:\n"
            "  global_config: ~\n"
            "  module_type_configs:\n"
            "    torch.nn.Linear: ~\n"
            "  module_name_configs:\n"
            "    \"model\\\\.layers\\\\..*\": ~\n"
            "    \"true\": ~\n");
}

// --- limits ----------------------------------------------------------------------------------

TEST(ConfigIoLimits, DeepNestingIsAnErrorNotACrash) {
  const std::string deep_json = R"({"palettization_spec": )" + std::string(10000, '[') +
                                std::string(10000, ']') + R"(, "kmeans_palettization_config": {}})";
  EXPECT_THAT(json_error(deep_json), HasSubstr("nested deeper than 128 levels"));
  const std::string deep_yaml = "palettization_spec: " + std::string(300, '[') +
                                std::string(300, ']') + "\nkmeans_palettization_config: {}\n";
  EXPECT_THAT(yaml_error(deep_yaml), HasSubstr("nested deeper than 128 levels"));
  EXPECT_THAT(yaml_error(std::string(100000, '[')), StartsWith("c.yaml: "));
}

TEST(ConfigIoLimits, RecursiveAliasIsAnError) {
  EXPECT_THAT(
      yaml_error("palettization_spec: &a [*a]\nkmeans_palettization_config: {}\n"),
      HasSubstr("palettization_spec[0]: an alias may not refer to a node that contains it"));
}

TEST(ConfigIoLimits, AliasBombIsAnError) {
  std::string bomb = "palettization_spec:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level < 10; ++level) {
    const std::string prev = "*l" + std::to_string(level - 1);
    bomb += "  l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i)
      bomb += prev + (i < 9 ? ", " : "]\n");
  }
  bomb += "kmeans_palettization_config: {}\n";
  EXPECT_THAT(yaml_error(bomb), HasSubstr("more than 1000000 values"));
}

TEST(ConfigIoLimits, InputsOver16MiBAreRejected) {
  const std::string huge(std::size_t{16} * 1024 * 1024 + 1, ' ');
  EXPECT_EQ(json_error(huge), "c.json: configuration is larger than 16 MiB (16777217 bytes)");
  EXPECT_EQ(yaml_error(huge), "c.yaml: configuration is larger than 16 MiB (16777217 bytes)");
}

TEST(ConfigIoLimits, InvalidUtf8IsAnError) {
  EXPECT_THAT(yaml_error("kmeans_palettization_config:\n  module_name_configs:\n    a\xff: null\n"),
              HasSubstr("not valid UTF-8"));
  EXPECT_THAT(json_error(json_doc("{\"module_name_configs\": {\"a\xff\": null}}")),
              StartsWith("c.json: invalid JSON: "));
}

// --- files -----------------------------------------------------------------------------------

class ConfigIoFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    // mkdtemp: unique even when CTest runs several test processes at the same instant.
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kmlut_config_io_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }

  std::string load_error(const std::filesystem::path& path) {
    try {
      load_config(path);
    } catch (const ConfigError& error) {
      return error.what();
    }
    return "<valid>";
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigIoFiles, LoadChoosesTheFormatByExtension) {
  EXPECT_EQ(load_config(write("a.json", kRichJson)), rich_config());
  EXPECT_EQ(load_config(write("a.yaml", kRichYaml)), rich_config());
  EXPECT_EQ(load_config(write("a.yml", kRichYaml)), rich_config());
  EXPECT_EQ(load_config(write("b.YAML", kRichYaml)), rich_config());
  // JSON text in a .yaml file is YAML (flow style) and loads too; YAML in a .json file does not.
  EXPECT_EQ(load_config(write("c.yaml", kRichJson)), rich_config());
  EXPECT_THAT(load_error(write("c.json", kRichYaml)),
              StartsWith((dir_ / "c.json").string() + ": invalid JSON: "));
}

TEST_F(ConfigIoFiles, ErrorsNameTheFile) {
  const auto bad = write("bad.yaml", "kmeans_palettization_config:\n  global_config: 4\n");
  EXPECT_EQ(load_error(bad), bad.string() +
                                 ": kmeans_palettization_config.global_config: expected an "
                                 "object or null, got 4");
  const auto missing = dir_ / "missing.json";
  EXPECT_THAT(load_error(missing), StartsWith(missing.string() + ": cannot read: "));
  const auto text = write("config.txt", "{}");
  EXPECT_EQ(load_error(text), text.string() +
                                  ": unknown config file extension \".txt\" (expected .json, "
                                  ".yaml or .yml)");
}

TEST_F(ConfigIoFiles, SaveThenLoadGivesTheSameConfig) {
  for (const char* name : {"out.json", "out.yaml", "out.yml"}) {
    save_config(rich_config(), dir_ / name);
    EXPECT_EQ(load_config(dir_ / name), rich_config()) << name;
  }
  EXPECT_THROW(save_config(rich_config(), dir_ / "out.toml"), ConfigError);
  EXPECT_THROW(save_config(rich_config(), dir_ / "no_such_dir" / "out.json"), Error);
}

}  // namespace
}  // namespace kmlut
