// Tensors larger than a CUDA batch slot run in pieces (host/backends/cuda/tensor_pieces.hpp): the
// planner's pieces cover every block once, in order, in batches that fit the slot; and the pieces,
// run batch after batch on the fake device (tests/unit/cpu_grid_batch.hpp) and assembled as the
// CUDA backend assembles them, give the CPU backend's bytes for the whole tensor.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "host/backends/cuda/batch_layout.hpp"
#include "host/backends/cuda/tensor_pieces.hpp"
#include "tests/unit/cpu_grid_batch.hpp"
#include "tests/unit/same_result.hpp"
#include "tests/unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using testing_support::Data;
using testing_support::generate;
using testing_support::make_tensor;
using testing_support::OwnedTensor;

constexpr std::size_t kPinnedBytes = std::size_t{1} << 30;

struct Case {
  OwnedTensor weight;
  OwnedTensor sensitivity;  // empty unless a test sets it
  PalettizeRequest request;
};

Case make_case(std::string name, DType dtype, std::vector<std::int64_t> shape,
               Granularity granularity, int n_bits, bool scale, unsigned seed) {
  Case c;
  std::size_t numel = 1;
  for (std::int64_t dim : shape)
    numel *= static_cast<std::size_t>(dim);
  c.weight = make_tensor(dtype, shape, generate(Data::HeavyTailed, numel, seed));
  c.request.name = std::move(name);
  c.request.spec.n_bits = n_bits;
  c.request.spec.granularity = granularity;
  c.request.spec.enable_per_channel_scale = scale;
  c.request.enable_fast_kmeans_mode = true;
  c.request.rounding_precision = 3;
  return c;
}

std::vector<PalettizeRequest> requests_of(std::vector<Case>& cases) {
  std::vector<PalettizeRequest> requests;
  for (Case& c : cases) {
    c.request.weight = c.weight.view();
    if (!c.sensitivity.bytes.empty())
      c.request.sensitivity = c.sensitivity.view();
    EXPECT_EQ(cuda::device_path_gap(c.request), "") << c.request.name;
    requests.push_back(c.request);
  }
  return requests;
}

// A slot of 45% of the whole tensor's footprint: its blocks make two or three pieces.
std::size_t slot_for_pieces(const PalettizeRequest& large) {
  const cuda::JobFootprint whole = cuda::job_footprint(cuda::make_device_job(0, large));
  return (whole.device_bytes + whole.dp_reserve_bytes) * 45 / 100;
}

// The CUDA backend's run_batch with the fake device for its batch slots: the batches that fit,
// then the pieces' batches, the pieces assembled, and the CPU backend for the rest.
struct BackendRun {
  std::vector<PalettizeResult> results;
  std::vector<std::size_t> on_cpu;
  std::size_t pieces = 0;
};

BackendRun run_like_the_cuda_backend(const std::vector<PalettizeRequest>& requests,
                                     std::size_t slot_bytes) {
  std::vector<cuda::DeviceJob> jobs;
  for (std::size_t i = 0; i < requests.size(); ++i)
    jobs.push_back(cuda::make_device_job(i, requests[i]));
  cuda::BatchPlan plan = cuda::plan_batches(jobs, slot_bytes, kPinnedBytes);
  const cuda::TensorPieces pieces(plan.too_large, requests.size(), slot_bytes, kPinnedBytes);
  BackendRun run;
  for (const cuda::UnsplitJob& unsplit : pieces.unsplit())
    run.on_cpu.push_back(unsplit.job->request_index);
  plan.batches.insert(plan.batches.end(), pieces.batches().begin(), pieces.batches().end());
  run.results.resize(requests.size() + pieces.piece_count());
  run.pieces = pieces.piece_count();
  testing_support::CpuGridBatch device;
  for (const std::vector<const cuda::DeviceJob*>& batch : plan.batches) {
    std::vector<PalettizeRequest> batch_requests;
    for (const cuda::DeviceJob* job : batch)
      batch_requests.push_back(*job->request);
    testing_support::GridBatchResult done = device.run(batch_requests, 0, false);
    for (std::size_t j = 0; j < batch.size(); ++j)
      run.results[batch[j]->request_index] = std::move(done.results[j]);
    for (std::size_t j : done.for_cpu)
      run.on_cpu.push_back(batch[j]->request_index);
  }
  pieces.assemble(run.results, run.on_cpu);
  std::vector<PalettizeRequest> for_cpu;
  for (std::size_t i : run.on_cpu)
    for_cpu.push_back(requests[i]);
  std::vector<PalettizeResult> cpu = make_cpu_backend(1)->run_batch(for_cpu);
  for (std::size_t k = 0; k < run.on_cpu.size(); ++k)
    run.results[run.on_cpu[k]] = std::move(cpu[k]);
  return run;
}

void expect_pieces_match_the_cpu(std::vector<Case>& cases, std::size_t large,
                                 std::size_t expected_on_cpu, std::size_t least_pieces) {
  const std::vector<PalettizeRequest> requests = requests_of(cases);
  const std::size_t slot = slot_for_pieces(requests[large]);
  const BackendRun run = run_like_the_cuda_backend(requests, slot);
  const std::vector<PalettizeResult> cpu = make_cpu_backend(1)->run_batch(requests);
  EXPECT_EQ(run.on_cpu.size(), expected_on_cpu);
  EXPECT_GE(run.pieces, least_pieces);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    ASSERT_TRUE(cpu[i].palettized) << requests[i].name << ": " << cpu[i].skip_reason;
    testing_support::expect_same_result(run.results[i], cpu[i], requests[i].name);
  }
}

TEST(TensorPieces, GroupedRowsInPiecesMatchTheCpuBackend) {
  std::vector<Case> cases;
  // 96-element blocks: every piece starts on a byte, the pieces' packed bytes are concatenated.
  cases.push_back(
      make_case("rows", DType::F16, {32, 48}, Granularity::per_grouped_channel(0, 2), 4, true, 1));
  cases.push_back(make_case("small", DType::F32, {8, 16}, Granularity::per_tensor(), 2, false, 2));
  expect_pieces_match_the_cpu(cases, 0, 0, 2);
}

TEST(TensorPieces, PiecesOffTheByteGridArePackedWholeAndMatch) {
  std::vector<Case> cases;
  // 7-element blocks of 3-bit indices: pieces start mid-byte.
  cases.push_back(make_case("odd rows", DType::BF16, {40, 7},
                            Granularity::per_grouped_channel(0, 1), 3, true, 3));
  expect_pieces_match_the_cpu(cases, 0, 0, 2);
}

TEST(TensorPieces, GroupedInputChannelsAreGatheredAndScatteredBack) {
  std::vector<Case> cases;
  cases.push_back(make_case("columns", DType::F32, {12, 64}, Granularity::per_grouped_channel(1, 8),
                            6, false, 4));
  cases.push_back(make_case("conv", DType::F16, {6, 16, 3, 3},
                            Granularity::per_grouped_channel(1, 2), 3, false, 5));
  expect_pieces_match_the_cpu(cases, 0, 0, 4);
}

// The device paths beside the unique one: quantized LUTs (a scale and zero point per LUT, which
// the assembly must gather piece after piece as it gathers the LUTs) and the all-values path.
TEST(TensorPieces, QuantizedLutsInPiecesMatchTheCpuBackend) {
  std::vector<Case> cases;
  cases.push_back(make_case("quantized rows", DType::F16, {32, 48},
                            Granularity::per_grouped_channel(0, 2), 4, true, 11));
  cases[0].request.spec.lut_qspec = LutQSpec{LutDType::UInt8, QScheme::Asymmetric};
  expect_pieces_match_the_cpu(cases, 0, 0, 2);
}

TEST(TensorPieces, AllValuesBlocksInPiecesMatchTheCpuBackend) {
  std::vector<Case> cases;
  cases.push_back(make_case("all-values rows", DType::F32, {24, 40},
                            Granularity::per_grouped_channel(0, 2), 3, false, 12));
  cases[0].request.enable_fast_kmeans_mode = false;
  cases[0].request.spec.lut_qspec = LutQSpec{};
  expect_pieces_match_the_cpu(cases, 0, 0, 2);
}

TEST(TensorPieces, APieceFlaggedByTheDeviceSendsTheWholeTensorToTheCpu) {
  std::vector<Case> cases;
  cases.push_back(make_case("wide", DType::F32, {32, 48}, Granularity::per_grouped_channel(0, 2), 4,
                            false, 10));
  std::vector<double> values = generate(Data::HeavyTailed, 32 * 48, 10);
  values[30 * 48 + 5] = 1e6;  // in the last piece: beyond fp16's range, fast mode
  cases[0].weight = make_tensor(DType::F32, {32, 48}, values);
  expect_pieces_match_the_cpu(cases, 0, 1, 2);
}

TEST(TensorPieces, TensorsThatCannotBeSplitGoToTheCpuWithAReason) {
  std::vector<Case> cases;
  cases.push_back(
      make_case("per tensor", DType::F16, {48, 64}, Granularity::per_tensor(), 4, false, 6));
  cases.push_back(make_case("scaled columns", DType::F16, {8, 64},
                            Granularity::per_grouped_channel(1, 8), 4, true, 7));
  // Sensitivities are normalized over the whole tensor, which a piece does not see.
  cases.push_back(make_case("weighted rows", DType::F16, {16, 32},
                            Granularity::per_grouped_channel(0, 4), 4, false, 8));
  std::vector<double> importance = generate(Data::HeavyTailed, 16 * 32, 9);
  for (double& value : importance)
    value = std::abs(value);
  cases.back().sensitivity = make_tensor(DType::F32, {16, 32}, importance);
  const std::vector<PalettizeRequest> requests = requests_of(cases);
  std::vector<cuda::DeviceJob> jobs;
  for (std::size_t i = 0; i < requests.size(); ++i)
    jobs.push_back(cuda::make_device_job(i, requests[i]));
  const cuda::TensorPieces pieces({&jobs[0], &jobs[1], &jobs[2]}, 3, 1, kPinnedBytes);
  ASSERT_EQ(pieces.unsplit().size(), 3u);
  EXPECT_NE(pieces.unsplit()[0].reason.find("one block"), std::string::npos);
  EXPECT_NE(pieces.unsplit()[1].reason.find("scale spans every block"), std::string::npos);
  EXPECT_NE(pieces.unsplit()[2].reason.find("sensitivities are normalized over the whole tensor"),
            std::string::npos);
  EXPECT_EQ(pieces.piece_count(), 0u);
  // With a slot for a few of its blocks, the weighted tensor goes whole to the CPU ...
  std::vector<Case> weighted;
  weighted.push_back(std::move(cases.back()));
  cases.pop_back();
  expect_pieces_match_the_cpu(weighted, 0, 1, 0);
  // ... and so does the scaled axis-1 one (the per-tensor one fits that slot and runs on the
  // device).
  expect_pieces_match_the_cpu(cases, 1, 1, 0);
}

TEST(TensorPieces, PlannerCoversEveryBlockOnceInOrderInBatchesThatFit) {
  std::vector<Case> cases;
  cases.push_back(
      make_case("a", DType::F16, {64, 24}, Granularity::per_grouped_channel(0, 2), 4, true, 8));
  cases.push_back(
      make_case("b", DType::F32, {10, 96}, Granularity::per_grouped_channel(1, 4), 2, false, 9));
  const std::vector<PalettizeRequest> requests = requests_of(cases);
  std::vector<cuda::DeviceJob> jobs;
  for (std::size_t i = 0; i < requests.size(); ++i)
    jobs.push_back(cuda::make_device_job(i, requests[i]));
  const std::size_t slot = slot_for_pieces(requests[0]);
  const cuda::TensorPieces pieces({&jobs[0], &jobs[1]}, 2, slot, kPinnedBytes);
  ASSERT_TRUE(pieces.unsplit().empty());
  ASSERT_EQ(pieces.split().size(), 2u);

  std::vector<std::size_t> batch_of(2 + pieces.piece_count(), 0);
  std::size_t seen = 0;
  for (std::size_t b = 0; b < pieces.batches().size(); ++b) {
    const std::vector<const cuda::DeviceJob*>& batch = pieces.batches()[b];
    const cuda::BatchLayout layout = cuda::lay_out_batch(batch);
    EXPECT_LE(layout.device_bytes + layout.dp_reserve_bytes, slot) << "batch " << b;
    EXPECT_LE(layout.pinned_bytes, kPinnedBytes) << "batch " << b;
    for (const cuda::DeviceJob* job : batch) {
      EXPECT_EQ(job->request_index, 2 + seen++) << "pieces are batched in order";
      batch_of[job->request_index] = b;
    }
  }
  EXPECT_EQ(seen, pieces.piece_count());
  for (const cuda::SplitTensor& tensor : pieces.split()) {
    const cuda::DeviceJob& whole = *tensor.whole;
    EXPECT_GE(tensor.pieces.size(), 2u) << whole.request->name;
    std::uint64_t next_block = 0;
    for (std::size_t p = 0; p < tensor.pieces.size(); ++p) {
      const cuda::TensorPiece& piece = tensor.pieces[p];
      EXPECT_EQ(piece.first_block, next_block) << whole.request->name << " piece " << p;
      next_block += piece.blocks;
      const cuda::DeviceJob job = cuda::make_device_job(0, piece.request);
      EXPECT_EQ(job.blocks(), piece.blocks);
      EXPECT_EQ(job.block_elements, whole.block_elements);
      if (p > 0) {  // a tensor's pieces run in consecutive batches
        const std::size_t before = batch_of[tensor.first_result + p - 1];
        const std::size_t now = batch_of[tensor.first_result + p];
        EXPECT_TRUE(now == before || now == before + 1) << whole.request->name << " piece " << p;
      }
    }
    EXPECT_EQ(next_block, whole.blocks()) << whole.request->name;
  }
}

}  // namespace
}  // namespace kmlut
