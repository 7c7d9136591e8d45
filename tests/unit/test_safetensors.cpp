// Tests of the dtype table, MappedFile and the safetensors reader. Fixture files are assembled byte
// by byte here (8-byte little-endian header length, JSON text, data), independently of the reader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "host/io/mapped_file.hpp"
#include "kmlut/dtype.hpp"
#include "kmlut/error.hpp"
#include "kmlut/safetensors.hpp"

namespace kmlut {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string little_endian_u64(std::uint64_t value) {
  std::string bytes;
  for (int i = 0; i < 8; ++i) {
    bytes.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
  return bytes;
}

std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  return little_endian_u64(header.size()) + header + data;
}

// Bytes that differ from their neighbours, so a wrong offset shows up as wrong content.
std::string distinct_bytes(std::size_t count) {
  std::string bytes;
  for (std::size_t i = 0; i < count; ++i) {
    bytes.push_back(static_cast<char>((i * 7 + 3) & 0xff));
  }
  return bytes;
}

std::string as_string(ByteView bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data), bytes.size);
}

// ---------------------------------------------------------------------------------------------
// DType

struct DTypeRow {
  const char* name;
  unsigned bits;
};

// The reference's Dtype enum, in its order (docs/safetensors.md).
const std::vector<DTypeRow> kReferenceDTypes = {
    {"BOOL", 8},        {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},
    {"I8", 8},          {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8},
    {"F8_E5M2FNUZ", 8}, {"I16", 16},    {"U16", 16},    {"F16", 16},    {"BF16", 16},
    {"I32", 32},        {"U32", 32},    {"F32", 32},    {"C64", 64},    {"F64", 64},
    {"I64", 64},        {"U64", 64},
};

TEST(DTypeTest, EveryReferenceNameRoundTripsWithItsBitsAndAlignment) {
  for (const DTypeRow& row : kReferenceDTypes) {
    SCOPED_TRACE(row.name);
    const std::optional<DType> dtype = parse_dtype(row.name);
    ASSERT_TRUE(dtype.has_value());
    EXPECT_EQ(dtype_name(*dtype), row.name);
    EXPECT_EQ(dtype_bits(*dtype), row.bits);
    EXPECT_EQ(dtype_alignment(*dtype), row.bits < 8 ? 1u : row.bits / 8);
  }
}

TEST(DTypeTest, EnumFollowsTheReferenceOrder) {
  for (std::size_t i = 0; i < kReferenceDTypes.size(); ++i) {
    EXPECT_EQ(dtype_name(static_cast<DType>(i)), kReferenceDTypes[i].name);
  }
}

TEST(DTypeTest, RejectsNamesThatAreNotExactlyADtype) {
  for (const char* name : {"", "f32", "FP32", "F32 ", " F32", "FLOAT", "F8", "F6", "Q4_0"}) {
    EXPECT_FALSE(parse_dtype(name).has_value()) << '"' << name << '"';
  }
}

TEST(DTypeTest, OnlyTheFourFloatTypesArePalettizable) {
  for (const DTypeRow& row : kReferenceDTypes) {
    const std::string name = row.name;
    const bool expected = name == "F64" || name == "F32" || name == "F16" || name == "BF16";
    EXPECT_EQ(is_palettizable_dtype(*parse_dtype(name)), expected) << name;
  }
}

// ---------------------------------------------------------------------------------------------
// Files on disk

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "kmlut-st-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    defect_path_ = dir_ / "defect.safetensors";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& bytes, const std::string& name = "model.safetensors") {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // The message of the InputError that opening `bytes` as a file raises; "" (and a failure) if
  // none.
  std::string open_error(const std::string& bytes) {
    write(bytes, defect_path_.filename().string());
    try {
      SafetensorsFile::open(defect_path_);
    } catch (const InputError& error) {
      return error.what();
    }
    ADD_FAILURE() << "no InputError for a defective file";
    return "";
  }

  std::string header_error(const std::string& header, const std::string& data = "") {
    return open_error(safetensors_bytes(header, data));
  }

  // Matches a message that starts with the defective file's path and mentions `word`.
  auto about(const std::string& word) const {
    return AllOf(StartsWith(defect_path_.string() + ": "), HasSubstr(word));
  }

  fs::path dir_;
  fs::path defect_path_;  // where open_error writes
};

struct ExpectedTensor {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin;
  std::uint64_t end;
};

TEST_F(SafetensorsTest, ReadsEveryTensorOfAValidFileInOffsetOrder) {
  // Listed out of offset order on purpose; "scalar" is rank 0 and "empty" holds no bytes.
  const std::string header = R"({
    "mask": {"dtype": "BOOL", "shape": [2], "data_offsets": [32, 34]},
    "scalar": {"dtype": "I64", "shape": [], "data_offsets": [24, 32]},
    "__metadata__": {"format": "pt", "zeta": "1", "alpha": "two"},
    "w32": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
    "empty": {"dtype": "U8", "shape": [0, 5], "data_offsets": [32, 32]},
    "b16": {"dtype": "BF16", "shape": [1], "data_offsets": [22, 24]},
    "h16": {"dtype": "F16", "shape": [3], "data_offsets": [16, 22]}})";
  const std::string data = distinct_bytes(34);
  const fs::path path = write(safetensors_bytes(header, data));

  const SafetensorsFile file = SafetensorsFile::open(path);

  const std::vector<ExpectedTensor> expected = {
      {"w32", DType::F32, {2, 2}, 0, 16},   {"h16", DType::F16, {3}, 16, 22},
      {"b16", DType::BF16, {1}, 22, 24},    {"scalar", DType::I64, {}, 24, 32},
      {"empty", DType::U8, {0, 5}, 32, 32}, {"mask", DType::BOOL, {2}, 32, 34},
  };
  ASSERT_EQ(file.tensors().size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const TensorInfo& tensor = file.tensors()[i];
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(tensor.name, expected[i].name);
    EXPECT_EQ(tensor.dtype, expected[i].dtype);
    EXPECT_EQ(tensor.shape, expected[i].shape);
    EXPECT_EQ(tensor.begin, expected[i].begin);
    EXPECT_EQ(tensor.end, expected[i].end);
    EXPECT_EQ(as_string(file.data(tensor)),
              data.substr(expected[i].begin, expected[i].end - expected[i].begin));
  }
  EXPECT_EQ(file.header().data_offset, 8 + header.size());
  EXPECT_EQ(file.file_size(), 8 + header.size() + data.size());
  EXPECT_EQ(file.path(), path);
}

TEST_F(SafetensorsTest, CountsElements) {
  const std::string header = R"({
    "scalar": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]},
    "matrix": {"dtype": "U8", "shape": [3, 5], "data_offsets": [4, 19]},
    "empty": {"dtype": "F32", "shape": [4, 0], "data_offsets": [19, 19]}})";
  const SafetensorsFile file =
      SafetensorsFile::open(write(safetensors_bytes(header, distinct_bytes(19))));
  EXPECT_EQ(file.header().find("scalar")->numel(), 1u);
  EXPECT_EQ(file.header().find("matrix")->numel(), 15u);
  EXPECT_EQ(file.header().find("empty")->numel(), 0u);
}

TEST_F(SafetensorsTest, KeepsMetadataInFileOrderAndFindsEntries) {
  const std::string header = R"({"__metadata__": {"zeta": "1", "format": "pt", "alpha": "two"},
    "t": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}})";
  const SafetensorsFile file = SafetensorsFile::open(write(safetensors_bytes(header, "ab")));
  using Entry = std::pair<std::string, std::string>;
  EXPECT_EQ(file.header().metadata,
            (std::vector<Entry>{{"zeta", "1"}, {"format", "pt"}, {"alpha", "two"}}));
  ASSERT_NE(file.header().metadata_value("format"), nullptr);
  EXPECT_EQ(*file.header().metadata_value("format"), "pt");
  EXPECT_EQ(file.header().metadata_value("missing"), nullptr);
  ASSERT_NE(file.header().find("t"), nullptr);
  EXPECT_EQ(file.header().find("t")->dtype, DType::F16);
  EXPECT_EQ(file.header().find("absent"), nullptr);
}

TEST_F(SafetensorsTest, AcceptsAHeaderPaddedWithSpacesOnEitherSide) {
  const std::string entry = R"({"t": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]}})";
  for (const std::string& header : {entry + "     ", "   " + entry, "  " + entry + "   "}) {
    const SafetensorsFile file = SafetensorsFile::open(write(safetensors_bytes(header, "xyz")));
    ASSERT_EQ(file.tensors().size(), 1u);
    EXPECT_EQ(as_string(file.data(file.tensors()[0])), "xyz");
  }
}

TEST_F(SafetensorsTest, AcceptsAFileWithoutTensors) {
  const SafetensorsFile file = SafetensorsFile::open(write(safetensors_bytes("{}")));
  EXPECT_TRUE(file.tensors().empty());
  EXPECT_TRUE(file.header().metadata.empty());
}

TEST_F(SafetensorsTest, TreatsNullMetadataAsAbsentLikeTheReference) {
  const std::string header = R"({"__metadata__": null})";
  EXPECT_TRUE(SafetensorsFile::open(write(safetensors_bytes(header))).header().metadata.empty());
}

TEST_F(SafetensorsTest, IgnoresExtraFieldsInATensorEntry) {
  const std::string header =
      R"({"t": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1], "note": {"any": [1]}}})";
  EXPECT_EQ(SafetensorsFile::open(write(safetensors_bytes(header, "x"))).tensors().size(), 1u);
}

TEST_F(SafetensorsTest, OrdersEmptyTensorsAtOneOffsetByName) {
  const std::string header = R"({
    "z": {"dtype": "F32", "shape": [0], "data_offsets": [2, 2]},
    "last": {"dtype": "U8", "shape": [1], "data_offsets": [2, 3]},
    "a": {"dtype": "F32", "shape": [0], "data_offsets": [2, 2]},
    "first": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
    "m": {"dtype": "I64", "shape": [3, 0], "data_offsets": [2, 2]}})";
  const SafetensorsFile file = SafetensorsFile::open(write(safetensors_bytes(header, "abc")));
  std::vector<std::string> names;
  for (const TensorInfo& tensor : file.tensors()) {
    names.push_back(tensor.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"first", "a", "m", "z", "last"}));
  EXPECT_EQ(as_string(file.data(*file.header().find("last"))), "c");
}

TEST_F(SafetensorsTest, AcceptsSubByteTypesThatFillWholeBytes) {
  const std::string header = R"({"f4": {"dtype": "F4", "shape": [2, 2], "data_offsets": [0, 2]},
    "f6": {"dtype": "F6_E2M3", "shape": [4], "data_offsets": [2, 5]}})";
  const SafetensorsFile file = SafetensorsFile::open(write(safetensors_bytes(header, "abcde")));
  EXPECT_EQ(as_string(file.data(*file.header().find("f6"))), "cde");
}

TEST_F(SafetensorsTest, MapsAnEmptyFileWithoutError) {
  const MappedFile map = MappedFile::open(write("", "empty.bin"));
  EXPECT_EQ(map.bytes().size, 0u);
}

TEST_F(SafetensorsTest, MappedFileSurvivesAMove) {
  MappedFile first = MappedFile::open(write("hello", "hello.bin"));
  MappedFile second = std::move(first);
  EXPECT_EQ(as_string(second.bytes()), "hello");
  first = std::move(second);
  EXPECT_EQ(as_string(first.bytes()), "hello");
}

TEST_F(SafetensorsTest, MappedFileNamesAMissingPath) {
  const fs::path missing = dir_ / "missing.safetensors";
  EXPECT_THROW(
      {
        try {
          MappedFile::open(missing);
        } catch (const InputError& error) {
          EXPECT_THAT(error.what(), AllOf(StartsWith(missing.string() + ": cannot open: "),
                                          HasSubstr("No such file")));
          throw;
        }
      },
      InputError);
}

TEST_F(SafetensorsTest, MappedFileRejectsADirectory) {
  EXPECT_THROW(
      {
        try {
          MappedFile::open(dir_);
        } catch (const InputError& error) {
          EXPECT_THAT(error.what(),
                      AllOf(StartsWith(dir_.string() + ": "), HasSubstr("directory")));
          throw;
        }
      },
      InputError);
}

// ---------------------------------------------------------------------------------------------
// Defects, numbered by the reference reader's rules

TEST_F(SafetensorsTest, Rule1RejectsAFileTooSmallForTheLengthPrefix) {
  EXPECT_THAT(open_error(""), about("too small"));
  EXPECT_THAT(open_error(std::string("\x02\0\0\0\0", 5)),
              AllOf(about("too small"), HasSubstr("(5 bytes)")));
}

TEST_F(SafetensorsTest, Rule2RejectsAHeaderLengthOverTheLimit) {
  EXPECT_THAT(open_error(little_endian_u64(100'000'001) + "{}"), about("too large"));
  EXPECT_THAT(open_error(little_endian_u64(UINT64_MAX) + "{}"), about("too large"));
}

TEST_F(SafetensorsTest, Rule3RejectsAHeaderLengthPastTheEndOfTheFile) {
  EXPECT_THAT(open_error(little_endian_u64(3) + "{}"), about("exceeds the file"));
  // A file cut inside its header.
  const std::string whole =
      safetensors_bytes(R"({"t": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}})", "x");
  EXPECT_THAT(open_error(whole.substr(0, 20)), about("exceeds the file"));
}

TEST_F(SafetensorsTest, Rule4RejectsMalformedJson) {
  EXPECT_THAT(header_error(R"({"t": )"), about("invalid JSON"));
  EXPECT_THAT(header_error(R"({"t": {}} x)"), about("invalid JSON"));
  EXPECT_THAT(header_error(std::string("{}\0\0", 4)), about("invalid JSON"));
}

TEST_F(SafetensorsTest, Rule4RejectsInvalidUtf8) {
  EXPECT_THAT(header_error("{\"bad\xff\": {}}"), about("UTF-8"));
  EXPECT_THAT(header_error("{\"__metadata__\": {\"k\": \"\xc3\"}}"), about("UTF-8"));
}

TEST_F(SafetensorsTest, Rule4RejectsATopLevelThatIsNotAnObject) {
  EXPECT_THAT(header_error("[]"), about("not a JSON object"));
  EXPECT_THAT(header_error(R"("text")"), about("not a JSON object"));
}

TEST_F(SafetensorsTest, RejectsDuplicateKeysAtAnyDepth) {
  const std::string tensor = R"({"dtype": "U8", "shape": [1], "data_offsets": [0, 1]})";
  EXPECT_THAT(header_error(R"({"t": )" + tensor + R"(, "t": )" + tensor + "}", "x"),
              AllOf(about("duplicate key"), HasSubstr("\"t\"")));
  EXPECT_THAT(
      header_error(R"({"t": {"dtype": "U8", "dtype": "I8", "shape": [1], "data_offsets": [0, 1]}})",
                   "x"),
      AllOf(about("duplicate key"), HasSubstr("\"dtype\"")));
  EXPECT_THAT(header_error(R"({"__metadata__": {"k": "1", "k": "2"}})"),
              AllOf(about("duplicate key"), HasSubstr("\"k\"")));
}

TEST_F(SafetensorsTest, RejectsDeeplyNestedJson) {
  const std::string nested = std::string(200, '[') + std::string(200, ']');
  EXPECT_THAT(header_error(R"({"t": {"dtype": "U8", "shape": [], "data_offsets": [0, 1], "x": )" +
                               nested + "}}",
                           "x"),
              about("nested deeper"));
}

TEST_F(SafetensorsTest, Rule5RejectsMetadataThatIsNotAnObjectOfStrings) {
  EXPECT_THAT(header_error(R"({"__metadata__": {"format": "pt", "epochs": 3}})"),
              AllOf(about("__metadata__"), HasSubstr("\"epochs\""), HasSubstr("string")));
  EXPECT_THAT(header_error(R"({"__metadata__": {"nested": {"a": "b"}}})"),
              AllOf(about("__metadata__"), HasSubstr("\"nested\"")));
  EXPECT_THAT(header_error(R"({"__metadata__": ["format", "pt"]})"),
              AllOf(about("__metadata__"), HasSubstr("object")));
}

TEST_F(SafetensorsTest, Rule5RejectsATensorEntryThatIsNotAnObject) {
  EXPECT_THAT(header_error(R"({"t": [1, 2]})"), AllOf(about("\"t\""), HasSubstr("object")));
}

TEST_F(SafetensorsTest, Rule5RejectsMissingFields) {
  EXPECT_THAT(header_error(R"({"t": {"shape": [1], "data_offsets": [0, 1]}})", "x"),
              AllOf(about("\"t\""), HasSubstr("missing \"dtype\"")));
  EXPECT_THAT(header_error(R"({"t": {"dtype": "U8", "data_offsets": [0, 1]}})", "x"),
              AllOf(about("\"t\""), HasSubstr("missing \"shape\"")));
  EXPECT_THAT(header_error(R"({"t": {"dtype": "U8", "shape": [1]}})", "x"),
              AllOf(about("\"t\""), HasSubstr("missing \"data_offsets\"")));
}

TEST_F(SafetensorsTest, Rule5RejectsUnknownOrMistypedDtypes) {
  EXPECT_THAT(header_error(R"({"t": {"dtype": "F17", "shape": [1], "data_offsets": [0, 1]}})", "x"),
              AllOf(about("\"t\""), HasSubstr("unknown dtype \"F17\"")));
  EXPECT_THAT(
      header_error(R"({"t": {"dtype": "f32", "shape": [1], "data_offsets": [0, 4]}})", "xxxx"),
      about("unknown dtype"));
  EXPECT_THAT(header_error(R"({"t": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}})", "xxxx"),
              AllOf(about("\"t\""), HasSubstr("dtype must be a string")));
}

TEST_F(SafetensorsTest, Rule5RejectsShapesThatAreNotArraysOfNonNegativeIntegers) {
  for (const std::string shape : {"[2.0]", "[-1]", "[true]", "[\"2\"]", "[null]", "2", "{}",
                                  "[1e3]", "[18446744073709551616]"}) {
    SCOPED_TRACE(shape);
    EXPECT_THAT(
        header_error(R"({"t": {"dtype": "U8", "shape": )" + shape + R"(, "data_offsets": [0, 2]}})",
                     "xx"),
        AllOf(about("\"t\""), HasSubstr("shape must be an array of non-negative integers")));
  }
}

TEST_F(SafetensorsTest, Rule5RejectsDimensionsOver2To53) {
  EXPECT_THAT(
      header_error(
          R"({"t": {"dtype": "U8", "shape": [9007199254740993, 0], "data_offsets": [0, 0]}})"),
      AllOf(about("\"t\""), HasSubstr("2^53")));
}

TEST_F(SafetensorsTest, Rule5RejectsDataOffsetsThatAreNotTwoUnsignedIntegers) {
  for (const std::string offsets :
       {"[0]", "[0, 1, 1]", "[-1, 0]", "[0, 1.0]", "[0, \"1\"]", "{}", "1"}) {
    SCOPED_TRACE(offsets);
    EXPECT_THAT(
        header_error(R"({"t": {"dtype": "U8", "shape": [1], "data_offsets": )" + offsets + "}}",
                     "x"),
        AllOf(about("\"t\""), HasSubstr("data_offsets must be an array of two unsigned integers")));
  }
}

TEST_F(SafetensorsTest, RejectsAnEmptyTensorName) {
  EXPECT_THAT(header_error(R"({"": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}})", "x"),
              about("empty name"));
}

TEST_F(SafetensorsTest, Rule6RejectsAnElementCountThatOverflows) {
  EXPECT_THAT(
      header_error(
          R"({"t": {"dtype": "U8", "shape": [4294967296, 4294967296, 2], "data_offsets": [0, 0]}})"),
      AllOf(about("\"t\""), HasSubstr("overflow")));
  // 2^53 * 2^8 elements fit in 64 bits, their 64-bit size in bits does not.
  EXPECT_THAT(
      header_error(
          R"({"t": {"dtype": "F64", "shape": [9007199254740992, 256], "data_offsets": [0, 0]}})"),
      AllOf(about("\"t\""), HasSubstr("overflow")));
}

TEST_F(SafetensorsTest, Rule6RejectsSubByteTensorsThatEndMidByte) {
  EXPECT_THAT(header_error(R"({"t": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}})", "xx"),
              AllOf(about("\"t\""), HasSubstr("misaligned")));
  EXPECT_THAT(
      header_error(R"({"t": {"dtype": "F6_E3M2", "shape": [2], "data_offsets": [0, 2]}})", "xx"),
      AllOf(about("\"t\""), HasSubstr("misaligned")));
}

TEST_F(SafetensorsTest, Rule6RejectsOffsetsThatDoNotSpanTheTensor) {
  EXPECT_THAT(
      header_error(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", "xxxx"),
      AllOf(about("\"t\""), HasSubstr("span 4 bytes"), HasSubstr("needs 8 bytes")));
  EXPECT_THAT(
      header_error(R"({"t": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}})", "xxxx"),
      AllOf(about("\"t\""), HasSubstr("before begin")));
}

TEST_F(SafetensorsTest, Rule7RejectsHolesBetweenTensors) {
  EXPECT_THAT(header_error(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                               "b": {"dtype": "U8", "shape": [4], "data_offsets": [8, 12]}})",
                           distinct_bytes(12)),
              AllOf(about("\"b\""), HasSubstr("gap")));
  EXPECT_THAT(header_error(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]}})",
                           distinct_bytes(8)),
              AllOf(about("\"a\""), HasSubstr("gap")));
}

TEST_F(SafetensorsTest, Rule7RejectsOverlappingTensors) {
  EXPECT_THAT(header_error(R"({"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},
                               "b": {"dtype": "U8", "shape": [8], "data_offsets": [4, 12]}})",
                           distinct_bytes(12)),
              AllOf(about("\"b\""), HasSubstr("overlap")));
  EXPECT_THAT(header_error(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                               "b": {"dtype": "I32", "shape": [1], "data_offsets": [0, 4]}})",
                           distinct_bytes(4)),
              AllOf(about("\"b\""), HasSubstr("overlap")));
}

TEST_F(SafetensorsTest, Rule7RejectsTrailingBytes) {
  EXPECT_THAT(
      header_error(R"({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}})", "abc"),
      about("trailing data"));
  EXPECT_THAT(header_error("{}", "junk"), AllOf(about("trailing data"), HasSubstr("4 bytes")));
}

TEST_F(SafetensorsTest, Rule7RejectsATruncatedDataSection) {
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
                           distinct_bytes(10)),
              about("truncated"));
}

TEST(SafetensorsHeaderTest, NamesTheSourceAndNeverReadsPastTheView) {
  // The view ends before the bytes that would complete the header.
  const std::string bytes =
      safetensors_bytes(R"({"t": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}})", "x");
  const ByteView view{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size() - 2};
  EXPECT_THROW(
      {
        try {
          parse_safetensors_header(view, "memory");
        } catch (const InputError& error) {
          EXPECT_THAT(error.what(), StartsWith("memory: "));
          throw;
        }
      },
      InputError);
}

}  // namespace
}  // namespace kmlut
