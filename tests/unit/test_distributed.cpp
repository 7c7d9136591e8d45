// host/distributed without MPI: the cost-based assignment against Graham's bound on brute-force
// optima, partial checkpoint writers against a whole one, and the distributed pipeline of one
// process against the single-process pipeline (the MPI ranks: tests/cli/test_mpi_palettize.py).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "host/distributed/communicator.hpp"
#include "host/distributed/distributed_pipeline.hpp"
#include "host/distributed/work_assignment.hpp"
#include "kmlut/checkpoint.hpp"
#include "kmlut/checkpoint_writer.hpp"
#include "kmlut/config.hpp"
#include "kmlut/error.hpp"
#include "kmlut/model.hpp"
#include "kmlut/pipeline.hpp"
#include "kmlut/safetensors_writer.hpp"

namespace kmlut {
namespace {

namespace fs = std::filesystem;
using distributed::assign_by_cost;
using distributed::WorkItem;

double makespan(const std::vector<WorkItem>& items, const std::vector<int>& rank_of, int ranks) {
  std::vector<double> load(static_cast<std::size_t>(ranks), 0.0);
  for (std::size_t i = 0; i < items.size(); ++i)
    load[static_cast<std::size_t>(rank_of[i])] += items[i].cost;
  return *std::max_element(load.begin(), load.end());
}

// The best makespan over every assignment (ranks^items of them).
double optimal_makespan(const std::vector<WorkItem>& items, int ranks) {
  std::vector<int> rank_of(items.size(), 0);
  double best = makespan(items, rank_of, ranks);
  while (true) {
    std::size_t digit = 0;
    while (digit < rank_of.size() && ++rank_of[digit] == ranks)
      rank_of[digit++] = 0;
    if (digit == rank_of.size())
      return best;
    best = std::min(best, makespan(items, rank_of, ranks));
  }
}

TEST(WorkAssignment, LongestFirstStaysWithinGrahamsBoundOfTheOptimum) {
  std::mt19937 random(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int ranks = 2 + trial % 2;
    std::vector<WorkItem> items(4 + static_cast<std::size_t>(trial % 4));
    for (std::size_t i = 0; i < items.size(); ++i)
      items[i] = {"t" + std::to_string(i), static_cast<double>(1 + random() % 50)};
    const double got = makespan(items, assign_by_cost(items, ranks), ranks);
    const double best = optimal_makespan(items, ranks);
    // Graham (1969): longest-processing-time-first is within 4/3 - 1/(3m) of the optimum.
    EXPECT_LE(got, (4.0 / 3.0 - 1.0 / (3.0 * ranks)) * best + 1e-9) << "trial " << trial;
  }
}

TEST(WorkAssignment, EqualCostsAreDealtInNameOrderWhateverTheInputOrder) {
  std::vector<WorkItem> items;
  for (const char* name : {"d", "a", "c", "b"})
    items.push_back({name, 1.0});
  const std::vector<int> rank_of = assign_by_cost(items, 2);
  std::vector<std::pair<std::string, int>> by_name;
  for (std::size_t i = 0; i < items.size(); ++i)
    by_name.emplace_back(items[i].name, rank_of[i]);
  std::sort(by_name.begin(), by_name.end());
  EXPECT_EQ(by_name,
            (std::vector<std::pair<std::string, int>>{{"a", 0}, {"b", 1}, {"c", 0}, {"d", 1}}));
  std::reverse(items.begin(), items.end());
  const std::vector<int> reversed = assign_by_cost(items, 2);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto it = std::find_if(by_name.begin(), by_name.end(),
                                 [&](const auto& entry) { return entry.first == items[i].name; });
    EXPECT_EQ(reversed[i], it->second) << items[i].name;
  }
}

class DistributedFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kmlut-distributed-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_;
};

std::vector<ShardContents> three_shards() {
  std::vector<ShardContents> shards(3);
  for (std::size_t i = 0; i < shards.size(); ++i) {
    shards[i].file_name = "part-" + std::to_string(i) + ".safetensors";
    shards[i].tensors = {{"w" + std::to_string(i), DType::F32, {2, 3}},
                         {"b" + std::to_string(i), DType::U8, {static_cast<std::int64_t>(i + 1)}}};
    shards[i].metadata = {{"format", "pt"}};
  }
  return shards;
}

void fill(CheckpointWriter& writer, std::size_t shard) {
  const std::vector<std::uint8_t> weight(24, static_cast<std::uint8_t>(10 + shard));
  const std::vector<std::uint8_t> bias(shard + 1, static_cast<std::uint8_t>(shard));
  writer.write("w" + std::to_string(shard), {weight.data(), weight.size()});
  writer.write("b" + std::to_string(shard), {bias.data(), bias.size()});
}

TEST_F(DistributedFiles, PartialWritersTogetherWriteTheWholeWritersFiles) {
  CheckpointWriter whole(dir_ / "whole", Checkpoint::Layout::Sharded, three_shards());
  for (std::size_t shard = 0; shard < 3; ++shard)
    fill(whole, shard);
  whole.commit();

  CheckpointWriter first(dir_ / "split", Checkpoint::Layout::Sharded, three_shards(),
                         {true, false, true});
  CheckpointWriter second(dir_ / "split", Checkpoint::Layout::Sharded, three_shards(),
                          {false, true, false});
  fill(first, 0);
  fill(first, 2);
  fill(second, 1);
  EXPECT_THROW(first.write("w1", {nullptr, 0}), Error);  // shard 1 is the other writer's
  EXPECT_EQ(first.data_size(), whole.data_size());
  EXPECT_EQ(first.commit_shards().size(), 2u);
  EXPECT_FALSE(fs::exists(dir_ / "split" / kSafetensorsIndexFileName));
  EXPECT_EQ(second.commit_shards().size(), 1u);
  second.commit_index();
  for (const char* name : {"part-0.safetensors", "part-1.safetensors", "part-2.safetensors",
                           kSafetensorsIndexFileName})
    EXPECT_EQ(read(dir_ / "split" / name), read(dir_ / "whole" / name)) << name;
}

TEST_F(DistributedFiles, OneProcessWritesWhatThePipelineWrites) {
  std::mt19937 random(3);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<OutputTensor> tensors = {{"layers.0.proj.weight", DType::F32, {32, 16}},
                                       {"layers.0.proj.bias", DType::F32, {32}},
                                       {"layers.1.proj.weight", DType::F32, {16, 32}}};
  const fs::path input = dir_ / "in.safetensors";
  {
    SafetensorsWriter writer(input, tensors, {{"format", "pt"}});
    for (const OutputTensor& tensor : tensors) {
      std::vector<float> values(tensor_byte_size(tensor.dtype, tensor.shape) / 4);
      for (float& value : values)
        value = normal(random);
      writer.write(tensor.name,
                   {reinterpret_cast<const std::uint8_t*>(values.data()), values.size() * 4});
    }
    writer.commit();
  }
  const Checkpoint checkpoint = Checkpoint::open(input);
  std::vector<TensorInfo> infos;
  for (const Checkpoint::TensorRef& ref : checkpoint.tensors())
    infos.push_back(*ref.info);
  const Plan plan =
      resolve_plan(KMeansPalettizerConfig::preset("w4"), infer_model_description(infos), infos);
  const std::unique_ptr<Backend> backend = make_backend("cpu", 1);
  const PipelineReport single =
      palettize_checkpoint(checkpoint, plan, dir_ / "single.safetensors", *backend, {});
  distributed::SingleProcessCommunicator one;
  const distributed::DistributedReport shared = distributed::palettize_checkpoint_distributed(
      one, checkpoint, plan, dir_ / "shared.safetensors", *backend, {});
  EXPECT_EQ(single.count(TensorStatus::Palettized), 2u);
  EXPECT_EQ(read(dir_ / "shared.safetensors"), read(dir_ / "single.safetensors"));
  ASSERT_EQ(shared.report.tensors.size(), single.tensors.size());
  for (std::size_t i = 0; i < single.tensors.size(); ++i) {
    EXPECT_EQ(shared.report.tensors[i].status, single.tensors[i].status);
    EXPECT_EQ(shared.report.tensors[i].sse, single.tensors[i].sse);
    EXPECT_EQ(shared.report.tensors[i].bytes_out, single.tensors[i].bytes_out);
  }
  ASSERT_EQ(shared.ranks.size(), 1u);
  EXPECT_EQ(shared.ranks[0].tensors_clustered, single.count(TensorStatus::Palettized));
  EXPECT_EQ(shared.ranks[0].bytes_sent, 0u);
  EXPECT_EQ(shared.ranks[0].bytes_written, single.bytes_out);
}

}  // namespace
}  // namespace kmlut
