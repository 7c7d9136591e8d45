// The device of the vector fit (host/backends/cuda/vector_fit_device.hpp) faked on the host:
// host memory for device memory (filled with garbage, as cudaMalloc's is), memcpy for the copies,
// and the CPU grid executor (tests/support/cpu_grid.hpp) running the kernel bodies on the grids
// kernels/nearest_centre.cu, lloyd_steps.cu and kmeans_plus_plus.cu launch, at the device's block
// sizes or, for the longer tests, at one warp's 32 threads per block: the executor pays a thread
// per CUDA thread and a context switch per thread and barrier, and a whole fit runs thousands of
// barriers (the bodies take any block size; the 256-thread blocks run in every test of
// test_cuda_grid_lloyd.cpp and test_cuda_grid_seeding.cpp and in one whole fit).
#pragma once

#include <cstring>
#include <memory>
#include <vector>

#include "host/backends/cuda/vector_fit_device.hpp"
#include "tests/support/cpu_grid.hpp"

namespace kmlut::testing_support {

enum class GridBlocks { Device, Warp };

class CpuGridVectorDevice final : public cuda::VectorFitDevice {
 public:
  explicit CpuGridVectorDevice(GridBlocks blocks = GridBlocks::Warp) : blocks_(blocks) {}

  void* allocate(std::size_t bytes) override {
    const std::size_t words = (bytes + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
    buffers_.push_back(std::make_unique<std::max_align_t[]>(words));
    std::memset(static_cast<void*>(buffers_.back().get()), 0xA5, words * sizeof(std::max_align_t));
    return buffers_.back().get();
  }
  void release_all() override { buffers_.clear(); }
  std::size_t buffer_count() const { return buffers_.size(); }

  void upload(void* device, const void* host, std::size_t bytes) override {
    std::memcpy(device, host, bytes);
  }
  void download(void* host, const void* device, std::size_t bytes) override {
    std::memcpy(host, device, bytes);
  }
  void copy(void* to, const void* from, std::size_t bytes) override {
    std::memcpy(to, from, bytes);
  }
  void zero(void* device, std::size_t bytes) override { std::memset(device, 0, bytes); }

  void kmeans_plus_plus(const cuda::SeedingProblem* problems, std::uint32_t count) override {
    run_grid<cuda::SeedingShared>(count, threads(cuda::kSeedingThreads),
                                  [&](const CpuThread& at, cuda::SeedingShared& shared) {
                                    cuda::kmeans_plus_plus_body(at, problems, shared);
                                  });
  }
  void nearest_centre(const cuda::NearestCentreTile* tiles, std::uint32_t count) override {
    run_grid<cuda::NearestCentreShared>(
        count, cuda::kNearestCentreThreads,
        [&](const CpuThread& at, cuda::NearestCentreShared& shared) {
          cuda::nearest_centre_body(at, tiles, shared);
        });
  }
  void lloyd_first_sums(const cuda::LloydProblem& problem) override {
    run_grid<char>(cuda::lloyd_chunks(problem.n), threads(cuda::kLloydThreads),
                   [&](const CpuThread& at, char&) { cuda::lloyd_chunk_sums_body(at, problem); });
    run_grid<char>(1, threads(cuda::kLloydThreads),
                   [&](const CpuThread& at, char&) { cuda::lloyd_combine_sums_body(at, problem); });
  }
  void lloyd_collect_moves(const cuda::LloydMoveList& list) override {
    if (blocks_ == GridBlocks::Device) {
      collect_moves<cuda::kLloydMovesThreads>(list);
    } else {
      collect_moves<kWarp>(list);
    }
  }
  void lloyd_moves(const cuda::LloydProblem& problem, const cuda::LloydMove* moves,
                   std::uint32_t move_count) override {
    run_grid<char>(1, threads(cuda::kLloydThreads), [&](const CpuThread& at, char&) {
      cuda::lloyd_apply_moves_body(at, problem, moves, move_count);
    });
  }
  void lloyd_means(const cuda::LloydProblem& problem) override {
    run_grid<char>(1, threads(cuda::kLloydThreads),
                   [&](const CpuThread& at, char&) { cuda::lloyd_means_body(at, problem); });
  }
  void lloyd_chunk_inertia(const cuda::LloydProblem& problem) override {
    const unsigned per_block = threads(cuda::kLloydThreads);
    const std::uint32_t blocks = (cuda::lloyd_chunks(problem.n) + per_block - 1) / per_block;
    run_grid<char>(blocks, per_block, [&](const CpuThread& at, char&) {
      cuda::lloyd_chunk_inertia_body(at, problem);
    });
  }

 private:
  static constexpr unsigned kWarp = 32;

  unsigned threads(unsigned device_threads) const {
    return blocks_ == GridBlocks::Device ? device_threads : kWarp;
  }

  template <unsigned kThreads>
  void collect_moves(const cuda::LloydMoveList& list) {
    using Shared = cuda::LloydMovesShared<kThreads>;
    const std::uint32_t chunks = cuda::lloyd_chunks(list.n);
    run_grid<Shared>(chunks, kThreads, [&](const CpuThread& at, Shared& shared) {
      cuda::lloyd_count_moves_body<kThreads>(at, list, shared);
    });
    run_grid<char>(1, 1, [&](const CpuThread&, char&) { cuda::lloyd_place_moves(list); });
    run_grid<Shared>(chunks, kThreads, [&](const CpuThread& at, Shared& shared) {
      cuda::lloyd_write_moves_body<kThreads>(at, list, shared);
    });
  }

  GridBlocks blocks_;
  std::vector<std::unique_ptr<std::max_align_t[]>> buffers_;
};

}  // namespace kmlut::testing_support
