// The manifest format (docs/manifest.md): listed modules come from it, the rest is inferred, and
// every defect is an InputError naming the manifest and the entry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kmlut/error.hpp"
#include "kmlut/model.hpp"
#include "unit/model_fixture.hpp"

namespace kmlut {
namespace {

using testing::HasSubstr;
using testing_support::small_model;

std::string error_of(const std::string& manifest) {
  try {
    parse_manifest(manifest, "m.json", small_model());
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Manifest, ListedModulesOverrideInferenceAndTheRestIsInferred) {
  const ModelDescription model = parse_manifest(R"({
    "kmlut_manifest": 1,
    "modules": [
      {"name": "stem.conv", "type": "torch.nn.modules.conv.ConvTranspose2d",
       "ops": [{"type": "aten.conv_transpose2d.default", "states": ["weight"]}]},
      {"name": "layers.0.attn", "type": "my.Attention"}
    ]})",
                                                "m.json", small_model());
  const ModuleDescription* conv = model.find_module("stem.conv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->type, "torch.nn.modules.conv.ConvTranspose2d");
  ASSERT_EQ(conv->ops.size(), 1u);
  EXPECT_EQ(conv->ops[0].type, "conv_transpose2d");
  EXPECT_EQ(conv->ops[0].name, "stem.conv.conv_transpose2d");
  EXPECT_EQ(model.module_type("layers.0.attn"), "my.Attention");
  // Not listed: inferred as for a bare checkpoint.
  EXPECT_EQ(model.module_type("layers.0.attn.q_proj"), "torch.nn.modules.linear.Linear");
}

TEST(Manifest, ExplicitStatesMayNameAnyCheckpointTensor) {
  const ModelDescription model = parse_manifest(R"({
    "kmlut_manifest": 1,
    "modules": [{"name": "lm_head", "type": "torch.nn.modules.linear.Linear",
                 "states": {"weight": "embed_tokens.weight"},
                 "ops": [{"name": "lm_head.linear", "type": "linear"}]}]})",
                                                "m.json", small_model());
  const ModuleDescription* head = model.find_module("lm_head");
  ASSERT_NE(head, nullptr);
  ASSERT_EQ(head->states.size(), 1u);
  EXPECT_EQ(head->states[0].tensor, "embed_tokens.weight");
  EXPECT_EQ(head->ops[0].states, std::vector<std::string>{"weight"});
}

TEST(Manifest, DefectsNameTheManifestAndTheEntry) {
  EXPECT_THAT(error_of("{"), HasSubstr("m.json: invalid JSON"));
  EXPECT_THAT(error_of(R"({"modules": []})"), HasSubstr("m.json: kmlut_manifest: must be 1"));
  EXPECT_THAT(error_of(R"({"kmlut_manifest": 1, "kmlut_manifest": 1, "modules": []})"),
              HasSubstr("m.json: duplicate key \"kmlut_manifest\""));
  EXPECT_THAT(error_of(R"({"kmlut_manifest": 1, "modules": [{"name": "a", "name": "b"}]})"),
              HasSubstr("m.json: duplicate key \"name\""));
  EXPECT_THAT(error_of(R"({"kmlut_manifest": 1.0, "modules": []})"),
              HasSubstr("m.json: kmlut_manifest: must be 1"));
  EXPECT_THAT(error_of(R"({"kmlut_manifest": 1, "modules": {}})"),
              HasSubstr("m.json: modules: expected an array"));
  EXPECT_THAT(error_of(R"({"kmlut_manifest": 1, "modules": [{"type": "x.Y"}]})"),
              HasSubstr("m.json: modules[0]: missing key \"name\""));
  EXPECT_THAT(error_of(R"({"kmlut_manifest": 1, "modules": [{"name": "a", "colour": 1}]})"),
              HasSubstr("modules[0]: unknown key \"colour\""));
  EXPECT_THAT(
      error_of(R"({"kmlut_manifest": 1, "modules": [{"name": "a", "ops": [{"type": "matmul"}]}]})"),
      HasSubstr("modules[0].ops[0].type: unknown op type \"matmul\""));
  EXPECT_THAT(
      error_of(R"({"kmlut_manifest": 1, "modules": [{"name": "a", "states": {"w": "nope"}}]})"),
      HasSubstr("modules[0].states.w: tensor \"nope\" is not in the checkpoint"));
  EXPECT_THAT(error_of(R"({"kmlut_manifest": 1, "modules": [{"name": "mha",
                "ops": [{"type": "linear", "states": ["weight"]}]}]})"),
              HasSubstr("\"weight\" is not a state of module \"mha\""));
  EXPECT_THAT(error_of(R"({"kmlut_manifest": 1, "modules": [{"name": "a"}, {"name": "a"}]})"),
              HasSubstr("modules[1].name: module \"a\" is listed twice"));
}

}  // namespace
}  // namespace kmlut
