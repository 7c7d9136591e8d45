// Tests of Checkpoint::open over single files, directories and sharded indexes. Fixture files are
// written byte by byte here, independently of the reader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "kmlut/checkpoint.hpp"
#include "kmlut/error.hpp"

namespace kmlut {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A tensor of U8 elements whose bytes are `bytes`; one byte per element keeps offsets obvious.
struct ByteTensor {
  std::string name;
  std::string bytes;
};

// Hand-rolled writer: tensors laid out back to back in the given order.
std::string safetensors_bytes(const std::vector<ByteTensor>& tensors) {
  std::string header = "{";
  std::string data;
  for (const ByteTensor& tensor : tensors) {
    if (header.size() > 1) {
      header += ", ";
    }
    header += "\"" + tensor.name + "\": {\"dtype\": \"U8\", \"shape\": [" +
              std::to_string(tensor.bytes.size()) + "], \"data_offsets\": [" +
              std::to_string(data.size()) + ", " +
              std::to_string(data.size() + tensor.bytes.size()) + "]}";
    data += tensor.bytes;
  }
  header += "}";
  std::string prefix;
  for (int i = 0; i < 8; ++i) {
    prefix.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  }
  return prefix + header + data;
}

std::string as_string(ByteView bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data), bytes.size);
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "kmlut-ckpt-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& bytes) const {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  fs::path write_tensors(const std::string& name, const std::vector<ByteTensor>& tensors) const {
    return write(name, safetensors_bytes(tensors));
  }

  // Two shards: s1 holds a.weight and a.bias, s2 holds b.weight.
  void write_two_shards() const {
    write_tensors("s1.safetensors", {{"a.weight", "AAAA"}, {"a.bias", "aa"}});
    write_tensors("s2.safetensors", {{"b.weight", "BBB"}});
  }

  fs::path write_index(const std::string& weight_map,
                       const std::string& name = "model.safetensors.index.json") const {
    return write(name, R"({"metadata": {"total_size": 9}, "weight_map": )" + weight_map + "}");
  }

  static std::string open_error(const fs::path& input) {
    try {
      Checkpoint::open(input);
    } catch (const InputError& error) {
      return error.what();
    }
    ADD_FAILURE() << "no InputError opening " << input;
    return "";
  }

  fs::path dir_;
};

std::vector<std::string> tensor_names(const Checkpoint& checkpoint) {
  std::vector<std::string> names;
  for (const Checkpoint::TensorRef& ref : checkpoint.tensors()) {
    names.push_back(ref.info->name);
  }
  return names;
}

TEST_F(CheckpointTest, OpensASingleFile) {
  const fs::path path = write_tensors("one.safetensors", {{"x", "xyz"}, {"y", "YY"}});
  const Checkpoint checkpoint = Checkpoint::open(path);
  EXPECT_EQ(checkpoint.layout(), Checkpoint::Layout::SingleFile);
  EXPECT_EQ(checkpoint.source(), path);
  ASSERT_EQ(checkpoint.shards().size(), 1u);
  EXPECT_EQ(tensor_names(checkpoint), (std::vector<std::string>{"x", "y"}));
  const Checkpoint::TensorRef* y = checkpoint.find("y");
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(y->shard, 0u);
  EXPECT_EQ(as_string(checkpoint.data(*y)), "YY");
  EXPECT_EQ(checkpoint.find("z"), nullptr);
}

TEST_F(CheckpointTest, OpensTheOnlySafetensorsFileOfADirectory) {
  const fs::path path = write_tensors("weights.safetensors", {{"x", "xyz"}});
  write("README.md", "not a checkpoint");
  write("config.json", "{}");
  const Checkpoint checkpoint = Checkpoint::open(dir_);
  EXPECT_EQ(checkpoint.layout(), Checkpoint::Layout::SingleFile);
  EXPECT_EQ(checkpoint.source(), path);
  EXPECT_EQ(tensor_names(checkpoint), (std::vector<std::string>{"x"}));
}

TEST_F(CheckpointTest, OpensADirectoryWithAnIndexAndTwoShards) {
  write_two_shards();
  // b.weight comes first, so s2 is the first shard although s1 sorts first.
  const fs::path index = write_index(
      R"({"b.weight": "s2.safetensors", "a.weight": "s1.safetensors", "a.bias": "s1.safetensors"})");

  const Checkpoint checkpoint = Checkpoint::open(dir_);

  EXPECT_EQ(checkpoint.layout(), Checkpoint::Layout::Sharded);
  EXPECT_EQ(checkpoint.source(), index);
  ASSERT_EQ(checkpoint.shards().size(), 2u);
  EXPECT_EQ(checkpoint.shards()[0].path().filename(), "s2.safetensors");
  EXPECT_EQ(checkpoint.shards()[1].path().filename(), "s1.safetensors");
  EXPECT_EQ(tensor_names(checkpoint), (std::vector<std::string>{"b.weight", "a.weight", "a.bias"}));
  const std::vector<std::pair<std::string, std::string>> contents = {
      {"a.weight", "AAAA"}, {"a.bias", "aa"}, {"b.weight", "BBB"}};
  for (const auto& [name, bytes] : contents) {
    const Checkpoint::TensorRef* ref = checkpoint.find(name);
    ASSERT_NE(ref, nullptr) << name;
    EXPECT_EQ(as_string(checkpoint.data(*ref)), bytes) << name;
  }
  EXPECT_EQ(checkpoint.find("a.weight")->shard, 1u);
}

TEST_F(CheckpointTest, OpensAnIndexFileGivenDirectly) {
  write_two_shards();
  const fs::path index = write_index(
      R"({"a.weight": "s1.safetensors", "a.bias": "s1.safetensors", "b.weight": "s2.safetensors"})",
      "custom.index.json");
  const Checkpoint checkpoint = Checkpoint::open(index);
  EXPECT_EQ(checkpoint.layout(), Checkpoint::Layout::Sharded);
  EXPECT_EQ(checkpoint.source(), index);
  EXPECT_EQ(checkpoint.tensors().size(), 3u);
}

TEST_F(CheckpointTest, TensorReferencesSurviveMovingTheCheckpoint) {
  write_two_shards();
  write_index(
      R"({"a.weight": "s1.safetensors", "a.bias": "s1.safetensors", "b.weight": "s2.safetensors"})");
  Checkpoint first = Checkpoint::open(dir_);
  const Checkpoint moved = std::move(first);
  const Checkpoint::TensorRef* ref = moved.find("b.weight");
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(ref->info->name, "b.weight");
  EXPECT_EQ(as_string(moved.data(*ref)), "BBB");
}

TEST_F(CheckpointTest, RejectsATensorListedInAShardThatLacksIt) {
  write_two_shards();
  const fs::path index = write_index(
      R"({"a.weight": "s1.safetensors", "a.bias": "s1.safetensors", "b.weight": "s2.safetensors",
          "c.weight": "s2.safetensors"})");
  EXPECT_THAT(open_error(dir_), AllOf(StartsWith(index.string() + ": "), HasSubstr("\"c.weight\""),
                                      HasSubstr("\"s2.safetensors\""), HasSubstr("does not hold")));
}

TEST_F(CheckpointTest, RejectsATensorListedForTheWrongShard) {
  write_two_shards();
  const fs::path index = write_index(
      R"({"a.weight": "s2.safetensors", "a.bias": "s1.safetensors", "b.weight": "s2.safetensors"})");
  EXPECT_THAT(open_error(dir_),
              AllOf(StartsWith(index.string() + ": "), HasSubstr("\"a.weight\""),
                    HasSubstr("listed in weight_map for shard \"s2.safetensors\"")));
}

TEST_F(CheckpointTest, RejectsAShardThatIsNotAPlainFileName) {
  write_two_shards();
  for (const std::string shard :
       {"sub/s1.safetensors", "../s1.safetensors", "/tmp/s1.safetensors", "..", ""}) {
    SCOPED_TRACE(shard);
    const fs::path index = write_index(R"({"a.weight": ")" + shard + R"("})");
    EXPECT_THAT(open_error(index),
                AllOf(StartsWith(index.string() + ": "), HasSubstr("\"a.weight\""),
                      HasSubstr("not a plain file name")));
  }
}

TEST_F(CheckpointTest, RejectsATensorMissingFromTheWeightMap) {
  write_two_shards();
  const fs::path index =
      write_index(R"({"a.weight": "s1.safetensors", "b.weight": "s2.safetensors"})");
  EXPECT_THAT(open_error(dir_), AllOf(StartsWith(index.string() + ": "), HasSubstr("\"a.bias\""),
                                      HasSubstr("not listed in weight_map")));
}

TEST_F(CheckpointTest, RejectsATensorPresentInTwoShards) {
  write_tensors("s1.safetensors", {{"a.weight", "AAAA"}});
  write_tensors("s2.safetensors", {{"b.weight", "BBB"}, {"a.weight", "XXXX"}});
  const fs::path index =
      write_index(R"({"a.weight": "s1.safetensors", "b.weight": "s2.safetensors"})");
  EXPECT_THAT(open_error(dir_), AllOf(StartsWith(index.string() + ": "), HasSubstr("\"a.weight\""),
                                      HasSubstr("also in shard \"s1.safetensors\"")));
}

TEST_F(CheckpointTest, RejectsAMissingShardFile) {
  write_tensors("s1.safetensors", {{"a.weight", "AAAA"}});
  write_index(R"({"a.weight": "s1.safetensors", "b.weight": "gone.safetensors"})");
  EXPECT_THAT(open_error(dir_), AllOf(HasSubstr("gone.safetensors"), HasSubstr("cannot open")));
}

TEST_F(CheckpointTest, RejectsAnInvalidShard) {
  write("s1.safetensors", "garbage");
  write_index(R"({"a.weight": "s1.safetensors"})");
  EXPECT_THAT(open_error(dir_),
              AllOf(StartsWith((dir_ / "s1.safetensors").string() + ": "), HasSubstr("too small")));
}

TEST_F(CheckpointTest, RejectsDuplicateKeysInTheIndex) {
  write_two_shards();
  const fs::path index = write_index(
      R"({"a.weight": "s1.safetensors", "a.bias": "s1.safetensors", "b.weight": "s2.safetensors",
          "a.weight": "s2.safetensors"})");
  EXPECT_THAT(open_error(index),
              AllOf(StartsWith(index.string() + ": "), HasSubstr("duplicate key \"a.weight\"")));
}

TEST_F(CheckpointTest, RejectsAnIndexWithoutAWeightMap) {
  const fs::path index = write("model.safetensors.index.json", R"({"metadata": {}})");
  EXPECT_THAT(open_error(index), AllOf(StartsWith(index.string() + ": "), HasSubstr("weight_map")));
  const fs::path not_object = write("list.json", "[]");
  EXPECT_THAT(open_error(not_object),
              AllOf(StartsWith(not_object.string() + ": "), HasSubstr("not a JSON object")));
}

TEST_F(CheckpointTest, RejectsAWeightMapEntryThatIsNotAString) {
  write_two_shards();
  const fs::path index = write_index(R"({"a.weight": 1})");
  EXPECT_THAT(open_error(index), AllOf(StartsWith(index.string() + ": "), HasSubstr("\"a.weight\""),
                                       HasSubstr("string")));
}

TEST_F(CheckpointTest, RejectsADirectoryWithoutCheckpoint) {
  write("README.md", "nothing here");
  EXPECT_THAT(open_error(dir_),
              AllOf(StartsWith(dir_.string() + ": "), HasSubstr("no .safetensors file")));
}

TEST_F(CheckpointTest, RejectsADirectoryWithSeveralFilesAndNoIndex) {
  write_two_shards();
  EXPECT_THAT(open_error(dir_),
              AllOf(StartsWith(dir_.string() + ": "),
                    HasSubstr("several .safetensors files (s1.safetensors, s2.safetensors)"),
                    HasSubstr("no model.safetensors.index.json")));
}

TEST_F(CheckpointTest, RejectsAMissingPath) {
  const fs::path missing = dir_ / "nope.safetensors";
  EXPECT_EQ(open_error(missing), missing.string() + ": no such file or directory");
}

}  // namespace
}  // namespace kmlut
