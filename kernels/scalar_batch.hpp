// A batch of scalar palettization requests as the CUDA kernels see it: plain structs of device
// pointers and sizes, built by the host orchestration (host/cuda/) and read by every phase. Every
// block of every request is one problem; each phase is one launch over all problems of a batch.
#pragma once

#include <cstdint>

#include "kmlut/numeric/bit_packing.hpp"
#include "kmlut/numeric/host_device.hpp"

namespace kmlut::cuda {

// Per-request flags the kernels raise (atomicOr): the CPU backend then handles the request.
enum RequestStatus : std::uint32_t {
  kNonFinite = 1u,         // a weight is inf or nan: the tensor stays dense
  kOutsideHalfRange = 2u,  // fast mode, a value beyond ±65504: the CPU clusters every value
  kTooManyValues = 4u      // all-values path, a block of more than 65,536 distinct values
};

// The histogram phase's largest chunk: below 65,536, so 16-bit shared-memory counters cannot
// overflow; a multiple of 8 elements.
constexpr std::uint64_t kHistogramChunkElements = 65528;
// 8-element groups per assignment-phase chunk (one thread block).
constexpr std::uint64_t kPackChunkGroups = 2048;

// One request: its tensor in device memory, how its elements fall into blocks, its outputs.
// Block b holds the elements b·run_length + r·run_stride + o for r < run_count, o < run_length
// (host/palettize/block_layout.hpp); element i lies in block (i mod period) / run_length, with
// period the whole tensor when run_count is 1 and run_stride otherwise.
struct DeviceRequest {
  std::uint8_t dtype;           // a kmlut::DType: F16, BF16, F32 or F64
  std::int32_t n_bits;          // 1, 2, 3, 4, 6 or 8
  const float* rounding_table;  // fast mode's pattern -> rounded value; nullptr without
  const void* weights;          // the tensor as given
  const void* values;           // what is clustered: `weights`, or W / scale
  void* scaled;                 // W / scale is written here (== values), with scale only
  void* scale;                  // one per output channel, in dtype; nullptr without scale
  std::uint64_t numel;
  std::uint64_t row_size;  // elements per output channel (the scale's rows)
  std::uint64_t run_length;
  std::uint64_t run_stride;
  std::uint64_t run_count;
  std::uint64_t period;
  std::uint32_t first_problem;  // the problem of block 0; blocks are consecutive problems
  std::uint32_t* status;        // RequestStatus flags
  void* lut;                    // blocks × 2^n_bits entries in dtype
  std::uint8_t* indices;        // one per element
  std::uint8_t* packed;         // packed_size(numel, n_bits) bytes, LSB-first
  // LUT quantization (lut_qspec; kernels/bodies/lut_quantization_body.hpp), else lut_codes is
  // nullptr: per block, 2^n_bits codes, a scale in dtype and a zero point.
  std::uint8_t lut_signed;     // int8 codes, else uint8
  std::uint8_t lut_symmetric;  // symmetric scheme, else asymmetric
  std::uint8_t* lut_codes;
  void* lut_scale;
  std::uint8_t* lut_zero_point;
  // Sensitivities (kernels/bodies/sensitivity_weights_body.hpp), else nullptr: one normalized
  // weight per element; per block, room for its sensitivities regrouped by unique value
  // (run_length·run_count floats at block·run_length·run_count) and one cursor per possible
  // unique value (min(run_length·run_count, 65536) at block times that).
  const float* sensitivity;
  float* sensitivity_by_value;
  std::uint64_t* value_cursors;
  // The all-values path (kernels/bodies/all_values_body.hpp), else nullptr: per block, at
  // 2·block·run_length·run_count, two run_length·run_count halves of sort keys and of element
  // indices; 2^n_bits cluster boundaries at block·2^n_bits.
  std::uint64_t* sort_keys;
  std::uint64_t* sort_items;
  double* cluster_upper;
};

// One block of one request: its histogram, its weighted unique values and their clustering.
struct DeviceProblem {
  std::uint32_t request;
  std::uint32_t block;
  std::uint32_t* histogram;      // kPatternKeys counts
  double* points;                // the block's unique values, ascending
  double* point_weights;         // their counts (the unique-points phase zeroes and adds them)
  std::uint32_t* point_count;    // written by the unique-points phase
  std::uint8_t* cluster_of_key;  // kPatternKeys entries, valid where the histogram is non-zero
  double* dp_doubles;            // the DP's workspace (distinct_points_kmeans.hpp), set once
  std::uint32_t* dp_indices;     // the point count is known
  std::uint32_t* cluster_ends;   // 2^n_bits entries
  double* means;                 // 2^n_bits entries
};

// A slice [begin, end) of one problem's elements, in block order, for the histogram phase.
struct HistogramChunk {
  std::uint32_t problem;
  std::uint64_t begin;
  std::uint64_t end;
};

// Groups [first_group, first_group + group_count) of 8 consecutive elements of one request for the
// assignment phase: 8 indices fill n_bits whole bytes, so a thread owning a group owns its bytes
// and blocks that share a byte (3- and 6-bit indices) need no synchronisation.
struct PackChunk {
  std::uint32_t request;
  std::uint64_t first_group;
  std::uint64_t group_count;
};

// One output channel of a request with per-channel scale.
struct ScaleRow {
  std::uint32_t request;
  std::uint64_t row;
};

// Σ (W − Ŵ)² and Σ W² over one pack chunk.
struct ErrorSums {
  double sse;
  double sq_norm;
};

// The flat index of element t (in block order) of block `block`.
KMLUT_HD inline std::uint64_t element_of_block(const DeviceRequest& request, std::uint64_t block,
                                               std::uint64_t t) {
  if (request.run_count == 1)
    return block * request.run_length + t;
  const std::uint64_t run = t / request.run_length;
  return block * request.run_length + run * request.run_stride + (t - run * request.run_length);
}

// Walks consecutive flat indices from `first`, keeping the block of the current element (one
// division to start, then increments): the assignment phase visits 8 elements per thread.
class BlockCursor {
 public:
  KMLUT_HD BlockCursor(const DeviceRequest& request, std::uint64_t first)
      : run_length_(request.run_length), period_(request.period) {
    position_ = first % period_;
    block_ = position_ / run_length_;
    offset_ = position_ - block_ * run_length_;
  }
  KMLUT_HD std::uint64_t block() const { return block_; }
  KMLUT_HD void advance() {
    ++position_;
    if (position_ == period_) {
      position_ = 0;
      block_ = 0;
      offset_ = 0;
    } else if (++offset_ == run_length_) {
      offset_ = 0;
      ++block_;
    }
  }

 private:
  std::uint64_t run_length_;
  std::uint64_t period_;
  std::uint64_t position_;
  std::uint64_t block_;
  std::uint64_t offset_;
};

}  // namespace kmlut::cuda
