// PalettizationSpec: defaults (research §1.2), validation rules and their messages, the spec's
// JSON schema (loading and spec_to_tree).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config_tree.hpp"
#include "kmlut/config_io.hpp"
#include "kmlut/error.hpp"
#include "kmlut/spec.hpp"

namespace kmlut {
namespace {

using ::testing::HasSubstr;

const std::string kWeightPath = "kmeans_palettization_config.global_config.op_state_spec.weight";

std::string validate_error(const PalettizationSpec& spec) {
  try {
    spec.validate("spec");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "<valid>";
}

// A document with `spec_json` as global_config.op_state_spec.weight (fast mode off, so that
// cluster_dim > 1 is allowed).
std::string document_with_weight(const std::string& spec_json) {
  return R"({"kmeans_palettization_config": {"global_config": {"enable_fast_kmeans_mode": false, )"
         R"("op_state_spec": {"weight": )" +
         spec_json + "}}}}";
}

std::string load_error(const std::string& spec_json) {
  try {
    config_from_json(document_with_weight(spec_json), "cfg.json");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "<valid>";
}

PalettizationSpec load_spec(const std::string& spec_json) {
  const auto config = config_from_json(document_with_weight(spec_json));
  return config.global_config.op_state_spec.find("weight")->value();
}

TEST(SpecDefaults, MatchCoreaiOptDefaultWeightSpec) {
  const PalettizationSpec spec = default_weight_palettization_spec();
  EXPECT_EQ(spec.n_bits, 4);
  EXPECT_EQ(spec.granularity.type, GranularityType::PerTensor);
  EXPECT_EQ(spec.granularity.axis, std::nullopt);
  EXPECT_EQ(spec.cluster_dim, 1);
  EXPECT_FALSE(spec.enable_per_channel_scale);
  EXPECT_EQ(spec.lut_qspec, std::nullopt);
  EXPECT_EQ(validate_error(spec), "<valid>");
}

TEST(SpecDefaults, EmptyObjectLoadsAsDefault) {
  EXPECT_EQ(load_spec("{}"), default_weight_palettization_spec());
}

TEST(SpecValidation, AcceptsEveryAllowedBitWidth) {
  for (int n_bits : {1, 2, 3, 4, 6, 8}) {
    PalettizationSpec spec;
    spec.n_bits = n_bits;
    EXPECT_EQ(validate_error(spec), "<valid>") << n_bits;
  }
}

TEST(SpecValidation, RejectsOtherBitWidths) {
  for (int n_bits : {0, 5, 7, 9, 16, -4}) {
    PalettizationSpec spec;
    spec.n_bits = n_bits;
    EXPECT_EQ(validate_error(spec),
              "spec.n_bits: " + std::to_string(n_bits) + " is not one of 1, 2, 3, 4, 6, 8");
  }
}

TEST(SpecValidation, GroupedChannelAxisMustBe0Or1OrNull) {
  PalettizationSpec spec;
  for (auto axis : {std::optional<int>{}, std::optional<int>{0}, std::optional<int>{1}}) {
    spec.granularity = Granularity::per_grouped_channel(axis, 16);
    EXPECT_EQ(validate_error(spec), "<valid>");
  }
  spec.granularity = Granularity::per_grouped_channel(2, 16);
  EXPECT_EQ(validate_error(spec), "spec.granularity.axis: must be 0, 1 or null, got 2");
  spec.granularity = Granularity::per_grouped_channel(-1, 16);
  EXPECT_EQ(validate_error(spec), "spec.granularity.axis: must be 0, 1 or null, got -1");
}

TEST(SpecValidation, GroupSizeMustBePositive) {
  PalettizationSpec spec;
  spec.granularity = Granularity::per_grouped_channel(0, 0);
  EXPECT_EQ(validate_error(spec), "spec.granularity.group_size: must be > 0, got 0");
  spec.granularity = Granularity::per_grouped_channel(0, -8);
  EXPECT_EQ(validate_error(spec), "spec.granularity.group_size: must be > 0, got -8");
}

TEST(SpecValidation, PerTensorCarriesNoAxisOrGroupSize) {
  PalettizationSpec spec;
  spec.granularity.axis = 0;
  EXPECT_EQ(validate_error(spec), "spec.granularity.axis: must be null for per_tensor, got 0");
  spec.granularity = Granularity::per_tensor();
  spec.granularity.group_size = 4;
  EXPECT_EQ(validate_error(spec),
            "spec.granularity.group_size: not used by per_tensor, must be 0, got 4");
}

TEST(SpecValidation, ClusterDimMustBeAtLeastOne) {
  PalettizationSpec spec;
  spec.cluster_dim = 0;
  EXPECT_EQ(validate_error(spec), "spec.cluster_dim: must be >= 1, got 0");
  spec.cluster_dim = 3;  // no power-of-two rule, as in coreai_opt
  EXPECT_EQ(validate_error(spec), "<valid>");
}

TEST(SpecSchema, LoadsEveryField) {
  const PalettizationSpec spec = load_spec(
      R"({"n_bits": 2, "granularity": {"type": "per_grouped_channel", "axis": 1, "group_size": 8},
          "cluster_dim": 2, "enable_per_channel_scale": true,
          "lut_qspec": {"dtype": "uint8", "qscheme": "asymmetric"}})");
  EXPECT_EQ(spec.n_bits, 2);
  EXPECT_EQ(spec.granularity, Granularity::per_grouped_channel(1, 8));
  EXPECT_EQ(spec.cluster_dim, 2);
  EXPECT_TRUE(spec.enable_per_channel_scale);
  EXPECT_EQ(spec.lut_qspec, (LutQSpec{LutDType::UInt8, QScheme::Asymmetric}));
}

TEST(SpecSchema, BitWidthErrorNamesTheFullPath) {
  EXPECT_EQ(load_error(R"({"n_bits": 5})"),
            "cfg.json: " + kWeightPath + ".n_bits: 5 is not one of 1, 2, 3, 4, 6, 8");
}

TEST(SpecSchema, UnknownKeyListsTheValidOnes) {
  EXPECT_EQ(load_error(R"({"n_bits": 4, "foo": 1})"),
            "cfg.json: " + kWeightPath +
                ": unknown key \"foo\" (expected one of: n_bits, granularity, cluster_dim, "
                "enable_per_channel_scale, lut_qspec, training_strategy_spec)");
}

TEST(SpecSchema, IntegersMustBeJsonIntegers) {
  EXPECT_EQ(load_error(R"({"n_bits": "4"})"),
            "cfg.json: " + kWeightPath + ".n_bits: expected an integer, got \"4\"");
  EXPECT_EQ(load_error(R"({"n_bits": 4.0})"),
            "cfg.json: " + kWeightPath + ".n_bits: expected an integer, got 4.0");
  EXPECT_EQ(load_error(R"({"cluster_dim": true})"),
            "cfg.json: " + kWeightPath + ".cluster_dim: expected an integer, got true");
  EXPECT_EQ(load_error(R"({"n_bits": 99999999999})"),
            "cfg.json: " + kWeightPath + ".n_bits: 99999999999 is out of range");
}

TEST(SpecSchema, BooleansAndObjectsAreTypeChecked) {
  EXPECT_EQ(load_error(R"({"enable_per_channel_scale": 1})"),
            "cfg.json: " + kWeightPath + ".enable_per_channel_scale: expected a boolean, got 1");
  EXPECT_EQ(load_error(R"({"granularity": "per_tensor"})"),
            "cfg.json: " + kWeightPath + ".granularity: expected an object, got \"per_tensor\"");
  EXPECT_EQ(load_error("[4]"), "cfg.json: " + kWeightPath + ": expected an object, got an array");
}

TEST(SpecSchema, ClusterDimBelowOneIsRejected) {
  EXPECT_EQ(load_error(R"({"cluster_dim": 0})"),
            "cfg.json: " + kWeightPath + ".cluster_dim: must be >= 1, got 0");
}

TEST(SpecSchema, GranularityNeedsAKnownType) {
  EXPECT_EQ(load_error(R"({"granularity": {"axis": 0}})"),
            "cfg.json: " + kWeightPath +
                ".granularity: missing required key \"type\" (per_tensor or per_grouped_channel)");
  EXPECT_EQ(load_error(R"({"granularity": {"type": "per_channel"}})"),
            "cfg.json: " + kWeightPath +
                ".granularity.type: \"per_channel\" is not one of per_tensor, per_grouped_channel");
}

TEST(SpecSchema, PerTensorAcceptsOnlyANullAxis) {
  EXPECT_EQ(load_spec(R"({"granularity": {"type": "per_tensor", "axis": null}})").granularity,
            Granularity::per_tensor());
  EXPECT_EQ(load_error(R"({"granularity": {"type": "per_tensor", "axis": 0}})"),
            "cfg.json: " + kWeightPath + ".granularity.axis: must be null for per_tensor, got 0");
  EXPECT_EQ(load_error(R"({"granularity": {"type": "per_tensor", "group_size": 4}})"),
            "cfg.json: " + kWeightPath +
                ".granularity: unknown key \"group_size\" (expected one of: type, axis)");
}

TEST(SpecSchema, PerGroupedChannelRules) {
  EXPECT_EQ(
      load_spec(R"({"granularity": {"type": "per_grouped_channel", "group_size": 4}})").granularity,
      Granularity::per_grouped_channel(std::nullopt, 4));
  EXPECT_EQ(load_error(R"({"granularity": {"type": "per_grouped_channel", "axis": 0}})"),
            "cfg.json: " + kWeightPath +
                ".granularity: missing required key \"group_size\" (an integer > 0)");
  EXPECT_EQ(
      load_error(R"({"granularity": {"type": "per_grouped_channel", "axis": 0, "group_size": 0}})"),
      "cfg.json: " + kWeightPath + ".granularity.group_size: must be > 0, got 0");
  EXPECT_EQ(
      load_error(R"({"granularity": {"type": "per_grouped_channel", "axis": 2, "group_size": 4}})"),
      "cfg.json: " + kWeightPath + ".granularity.axis: must be 0, 1 or null, got 2");
}

TEST(SpecSchema, LutQSpec) {
  EXPECT_EQ(load_spec(R"({"lut_qspec": null})").lut_qspec, std::nullopt);
  EXPECT_EQ(load_spec(R"({"lut_qspec": {"dtype": "int8"}})").lut_qspec,
            (LutQSpec{LutDType::Int8, QScheme::Symmetric}));
  EXPECT_EQ(load_error(R"({"lut_qspec": {"dtype": "float16"}})"),
            "cfg.json: " + kWeightPath + ".lut_qspec.dtype: \"float16\" is not one of int8, uint8");
  EXPECT_THAT(load_error(R"({"lut_qspec": {"dtype": "float8_e4m3fn"}})"),
              HasSubstr("\"float8_e4m3fn\" is not one of int8, uint8"));
  EXPECT_EQ(load_error(R"({"lut_qspec": {"dtype": "int8", "qscheme": "affine"}})"),
            "cfg.json: " + kWeightPath +
                ".lut_qspec.qscheme: \"affine\" is not one of symmetric, asymmetric");
  EXPECT_EQ(
      load_error(R"({"lut_qspec": {"qscheme": "symmetric"}})"),
      "cfg.json: " + kWeightPath + ".lut_qspec: missing required key \"dtype\" (int8 or uint8)");
  // coreai_opt's QuantizationSpec fields: accepted at the values kmlut computes with.
  EXPECT_EQ(load_error(R"({"lut_qspec": {"dtype": "torch.int8", "granularity": null,
      "qformulation": "zp", "float_range": [null, null], "scale_dtype": null, "n_bits": 8,
      "quant_min": -128, "quant_max": 127, "_quant_range": [-128, 127],
      "target_dtype": "torch.int8", "range_calculator_cls": "minmax",
      "fake_quantize_cls": "<class 'coreai_opt.quantization.spec.fake_quantize._DefaultFakeQuantizeImpl'>",
      "qparam_calculator_cls": "default"}})"),
            "<valid>");
  EXPECT_EQ(
      load_error(R"({"lut_qspec": {"dtype": "uint8", "quant_max": 127}})"),
      "cfg.json: " + kWeightPath + ".lut_qspec.quant_max: must be 255 for this dtype, got 127");
  EXPECT_THAT(load_error(R"({"lut_qspec": {"dtype": "int8", "float_range": [-1, 1]}})"),
              HasSubstr(".lut_qspec.float_range: kmlut takes the range from the LUT"));
  EXPECT_THAT(load_error(R"({"lut_qspec": {"dtype": "int8", "foo": 1}})"),
              HasSubstr(".lut_qspec: unknown key \"foo\" (expected one of: dtype, qscheme, "));
  EXPECT_EQ(load_error(R"({"lut_qspec": "int8"})"),
            "cfg.json: " + kWeightPath + ".lut_qspec: expected an object or null, got \"int8\"");
}

TEST(SpecSchema, SpecToTreeWritesEveryField) {
  PalettizationSpec spec;
  EXPECT_EQ(detail::spec_to_tree(spec).dump(),
            R"({"n_bits":4,"granularity":{"type":"per_tensor"},"cluster_dim":1,)"
            R"("enable_per_channel_scale":false,"lut_qspec":null})");
  spec.n_bits = 6;
  spec.granularity = Granularity::per_grouped_channel(std::nullopt, 32);
  spec.cluster_dim = 2;
  spec.enable_per_channel_scale = true;
  spec.lut_qspec = LutQSpec{LutDType::UInt8, QScheme::Asymmetric};
  EXPECT_EQ(detail::spec_to_tree(spec).dump(),
            R"({"n_bits":6,"granularity":{"type":"per_grouped_channel","axis":null,)"
            R"("group_size":32},"cluster_dim":2,"enable_per_channel_scale":true,)"
            R"("lut_qspec":{"dtype":"uint8","qscheme":"asymmetric"}})");
}

}  // namespace
}  // namespace kmlut
