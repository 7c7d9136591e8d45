// Which requests the CUDA path takes, what each needs on the device, and how they are grouped
// into batches that fit the memory budget. Everything else goes to the CPU backend, which gives
// the same result (a skip reason, the all-values path, vector palettization, ...).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "host/palettize/block_layout.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut::cuda {

// Why the device path does not cover a request, or empty when it does: the device runs the
// scalar paths: weighted unique values (F16 always, BF16/F32/F64 in fast mode) and all values
// (BF16/F32/F64 without fast mode), with or without per-channel scale, LUT quantization and
// sensitivities. Values outside fp16's range and
// non-finite values, and on the all-values path blocks of more than 65,536 distinct values, are
// found on the device; such a request then goes to the CPU backend as well.
std::string device_path_gap(const PalettizeRequest& request);

// A request the device path takes, with its block layout.
struct DeviceJob {
  std::size_t request_index = 0;  // in the batch given to run_batch
  const PalettizeRequest* request = nullptr;
  palettize::BlockLayout layout;
  std::uint64_t numel = 0;
  std::uint64_t element_bytes = 0;
  std::uint64_t rows = 0;      // output channels (shape[0])
  std::uint64_t row_size = 0;  // elements per output channel
  std::uint64_t block_elements = 0;
  int n_bits = 4;
  bool scaled = false;
  bool quantized_lut = false;      // lut_qspec: codes, scales and zero points come back too
  std::vector<float> sensitivity;  // normalized, one per element; empty without sensitivities
  bool all_values = false;         // BF16/F32/F64 without fast mode: every value is a point

  std::uint64_t blocks() const { return layout.blocks.size(); }
  std::uint64_t lut_entries() const { return std::uint64_t{1} << n_bits; }
  std::uint64_t lut_bytes() const { return blocks() * lut_entries() * element_bytes; }
  std::uint64_t packed_bytes() const;
  // LUT quantization's outputs (0 without lut_qspec): codes, one scale and one zero point a block.
  std::uint64_t lut_code_bytes() const { return quantized_lut ? blocks() * lut_entries() : 0; }
  std::uint64_t lut_scale_bytes() const { return quantized_lut ? blocks() * element_bytes : 0; }
  std::uint64_t lut_zero_point_bytes() const { return quantized_lut ? blocks() : 0; }
  // Sensitivities' device arrays (0 without): the weights, their copy regrouped by unique value,
  // and one cursor per possible unique value of each block.
  std::uint64_t sensitivity_bytes() const { return sensitivity.size() * sizeof(float); }
  // The all-values path's sort keys and items (two halves each) and cluster boundaries.
  std::uint64_t sort_bytes() const { return all_values ? 2 * numel * sizeof(std::uint64_t) : 0; }
  std::uint64_t cluster_upper_bytes() const {
    return all_values ? blocks() * lut_entries() * sizeof(double) : 0;
  }
  std::uint64_t value_cursor_bytes() const {
    return sensitivity.empty() ? 0 : blocks() * max_points() * sizeof(std::uint64_t);
  }
  // Most unique values a block can have: its element count, at most one per 16-bit pattern.
  std::uint64_t max_points() const;
  std::uint64_t histogram_chunks() const;
  std::uint64_t pack_chunks() const;
};

DeviceJob make_device_job(std::size_t request_index, const PalettizeRequest& request);

// Device bytes of the DP workspace of one problem of n points and k clusters, as laid out by the
// batch (distinct_points_kmeans.hpp).
std::size_t dp_workspace_bytes(std::uint64_t points, std::uint64_t clusters);

// What a job needs in a batch: device memory besides the DP workspace, pinned staging memory, and
// the DP workspace of its largest possible problem (a batch needs room for at least that).
struct JobFootprint {
  std::size_t device_bytes = 0;
  std::size_t pinned_bytes = 0;
  std::size_t dp_reserve_bytes = 0;
};

JobFootprint job_footprint(const DeviceJob& job);

// Whether a batch of just that job fits a slot (its DP reserve included).
bool fits_alone(const JobFootprint& need, std::size_t device_bytes, std::size_t pinned_bytes);

// Groups jobs, in order, into batches whose footprint fits `device_bytes` and `pinned_bytes`.
// A job that fits neither alone is returned in `too_large` (tensor_pieces.hpp splits it).
struct BatchPlan {
  std::vector<std::vector<const DeviceJob*>> batches;
  std::vector<const DeviceJob*> too_large;
};

BatchPlan plan_batches(const std::vector<DeviceJob>& jobs, std::size_t device_bytes,
                       std::size_t pinned_bytes);

// Rounds `bytes` up to the alignment every buffer in a batch starts on.
constexpr std::size_t kBufferAlignment = 256;
constexpr std::size_t aligned(std::size_t bytes) {
  return (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

}  // namespace kmlut::cuda
