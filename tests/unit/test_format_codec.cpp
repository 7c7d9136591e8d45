// The kmlut v1 codec: the "kmlut.tensors" entry read strictly, and the parts and shapes an entry
// implies, checked against shapes worked out by hand from docs/format.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "kmlut/error.hpp"
#include "kmlut/format.hpp"

namespace kmlut {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// One valid entry for "model.w" [6, 5] F32, 3 bits, two LUTs along axis 0, with per-channel scale.
std::string entry_with(const std::string& field, const std::string& value) {
  std::string fields[][2] = {{"shape", "[6, 5]"},
                             {"dtype", "\"F32\""},
                             {"n_bits", "3"},
                             {"cluster_dim", "1"},
                             {"vector_axis", "null"},
                             {"group_axis", "0"},
                             {"group_size", "3"},
                             {"packing", "\"lsb_bitstream\""},
                             {"lut", "\"model.w.lut\""},
                             {"indices", "\"model.w.indices\""},
                             {"scale", "\"model.w.scale\""}};
  std::string json = "{\"model.w\": {";
  for (auto& [key, default_value] : fields) {
    if (key != fields[0][0])
      json += ", ";
    json += "\"" + key + "\": " + (key == field ? value : default_value);
  }
  return json + "}}";
}

std::string parse_error(const std::string& json) {
  try {
    parse_kmlut_tensors(json, "f.safetensors");
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(FormatCodec, EntriesRoundTripInOrder) {
  PalettizedTensorInfo b;
  b.name = "b.weight";
  b.shape = {8, 4};
  b.dtype = DType::BF16;
  b.n_bits = 2;
  b.cluster_dim = 2;
  b.vector_axis = 0;
  b.lut = "b.weight.lut";
  b.indices = "b.weight.indices";
  PalettizedTensorInfo a = b;
  a.name = "a.weight";
  a.group_axis = 1;
  a.group_size = 2;
  a.scale = "a.weight.scale";
  const std::vector<PalettizedTensorInfo> entries{b, a};  // not sorted by name
  EXPECT_EQ(parse_kmlut_tensors(kmlut_tensors_to_json(entries), "f"), entries);
  EXPECT_EQ(parse_error(entry_with("", "")), "");
}

TEST(FormatCodec, IntegersMustBeJsonIntegersInRange) {
  for (const auto& [field, value] :
       std::vector<std::pair<std::string, std::string>>{{"n_bits", "4.9"},
                                                        {"n_bits", "true"},
                                                        {"n_bits", "\"4\""},
                                                        {"n_bits", "0"},
                                                        {"n_bits", "9"},
                                                        {"n_bits", "-3"},
                                                        {"cluster_dim", "1.0"},
                                                        {"cluster_dim", "4294967297"},
                                                        {"group_size", "0"},
                                                        {"group_size", "1e2"},
                                                        {"group_axis", "-1"},
                                                        {"shape", "[2.7]"},
                                                        {"shape", "[6, -5]"},
                                                        {"shape", "[true, 5]"},
                                                        {"shape", "6"}}) {
    EXPECT_THAT(parse_error(entry_with(field, value)),
                AllOf(HasSubstr("f.safetensors"), HasSubstr("\"model.w\""), HasSubstr(field)))
        << field << " = " << value;
  }
}

TEST(FormatCodec, DuplicateKeysAreRejectedAndUnknownFieldsIgnored) {
  EXPECT_THAT(parse_error(entry_with("n_bits", "3, \"n_bits\": 4")),
              HasSubstr("duplicate key \"n_bits\""));
  const std::string twice = entry_with("", "");
  EXPECT_THAT(parse_error("{" + twice.substr(1, twice.size() - 2) + ", " +
                          twice.substr(1, twice.size() - 2) + "}"),
              HasSubstr("duplicate key \"model.w\""));
  EXPECT_EQ(parse_error(entry_with("scale", "null, \"note\": \"fields a reader does not know\"")),
            "");
  EXPECT_THAT(parse_error(entry_with("packing", "\"msb\"")), HasSubstr("unknown packing"));
  EXPECT_THAT(parse_error(entry_with("dtype", "\"I32\"")), HasSubstr("unsupported dtype"));
  EXPECT_THAT(parse_error("[]"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(parse_error("{\"a\": {"), HasSubstr("invalid JSON"));
}

PalettizedTensorInfo info_of(std::vector<std::int64_t> shape, int n_bits, int cluster_dim) {
  PalettizedTensorInfo info;
  info.name = "w";
  info.shape = std::move(shape);
  info.n_bits = n_bits;
  info.cluster_dim = cluster_dim;
  if (cluster_dim > 1)
    info.vector_axis = 0;
  info.lut = "w.lut";
  info.indices = "w.indices";
  return info;
}

TEST(FormatCodec, ShapesOfAGroupedScalarTensor) {
  PalettizedTensorInfo info = info_of({6, 5}, 3, 1);
  info.group_axis = 0;
  info.group_size = 3;
  info.scale = "w.scale";
  const PalettizedShapes shapes = palettized_shapes(info, DType::F32, "f");
  EXPECT_EQ(shapes.lut_shape, (std::vector<std::int64_t>{2, 1, 8, 1}));
  EXPECT_EQ(shapes.num_luts, 2u);
  EXPECT_EQ(shapes.index_count, 30u);
  EXPECT_EQ(shapes.packed_index_bytes, 12u);  // 90 bits
  EXPECT_EQ(shapes.scale_shape, (std::vector<std::int64_t>{6, 1}));
  const std::vector<OutputTensor> parts = palettized_parts(info, shapes);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].name, "w.lut");
  EXPECT_EQ(parts[1].name, "w.indices");
  EXPECT_EQ(parts[1].dtype, DType::U8);
  EXPECT_EQ(parts[1].shape, (std::vector<std::int64_t>{12}));
  EXPECT_EQ(parts[2].name, "w.scale");
}

TEST(FormatCodec, ShapesOfAVectorTensorWithAQuantizedLut) {
  PalettizedTensorInfo info = info_of({8, 4}, 4, 2);
  info.group_axis = 1;
  info.group_size = 2;
  const PalettizedShapes shapes = palettized_shapes(info, DType::I8, "f");
  EXPECT_EQ(shapes.index_shape, (std::vector<std::int64_t>{4, 4}));
  EXPECT_EQ(shapes.lut_shape, (std::vector<std::int64_t>{1, 2, 16, 2}));
  EXPECT_EQ(shapes.packed_index_bytes, 8u);
  const std::vector<OutputTensor> parts = palettized_parts(info, shapes);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[2].name, "w.lut_scale");
  EXPECT_EQ(parts[2].dtype, DType::F32);
  EXPECT_EQ(parts[2].shape, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(parts[3].name, "w.lut_zero_point");
  EXPECT_EQ(parts[3].dtype, DType::I8);
}

TEST(FormatCodec, InconsistentEntriesNameTheFileAndTensor) {
  const auto error_of = [](const PalettizedTensorInfo& info, DType lut_dtype) -> std::string {
    try {
      palettized_shapes(info, lut_dtype, "f.safetensors");
    } catch (const InputError& error) {
      return error.what();
    }
    return "";
  };
  const auto names = AllOf(HasSubstr("f.safetensors"), HasSubstr("\"w\""));
  EXPECT_THAT(error_of(info_of({}, 4, 1), DType::F32), AllOf(names, HasSubstr("rank")));
  EXPECT_THAT(error_of(info_of({7, 2}, 4, 2), DType::F32), AllOf(names, HasSubstr("cluster_dim")));
  EXPECT_THAT(error_of(info_of({1LL << 40, 1LL << 40}, 4, 1), DType::F32),
              AllOf(names, HasSubstr("too large")));
  EXPECT_THAT(error_of(info_of({4, 4}, 4, 1), DType::I32), AllOf(names, HasSubstr("I32")));
  PalettizedTensorInfo half_grouped = info_of({4, 4}, 4, 1);
  half_grouped.group_axis = 1;
  EXPECT_THAT(error_of(half_grouped, DType::F32), AllOf(names, HasSubstr("both")));
  half_grouped.group_size = 3;
  EXPECT_THAT(error_of(half_grouped, DType::F32), AllOf(names, HasSubstr("does not divide")));
  half_grouped.group_axis = 2;
  EXPECT_THAT(error_of(half_grouped, DType::F32), AllOf(names, HasSubstr("not an axis")));
}

TEST(FormatCodec, PartNames) {
  const PartNames names = part_names("m.w");
  EXPECT_EQ(names.lut, "m.w.lut");
  EXPECT_EQ(names.indices, "m.w.indices");
  EXPECT_EQ(names.scale, "m.w.scale");
  EXPECT_EQ(names.lut_scale, "m.w.lut_scale");
  EXPECT_EQ(names.lut_zero_point, "m.w.lut_zero_point");
}

}  // namespace
}  // namespace kmlut
