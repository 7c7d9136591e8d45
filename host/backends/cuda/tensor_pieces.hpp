// Tensors larger than a batch slot, run on the device in pieces (docs/cuda-backend.md, "Tensors
// larger than a slot"). A piece is a run of consecutive whole blocks of one tensor, given to the
// device as a tensor of its own: blocks are independent problems, so each piece gives its blocks'
// LUTs and indices exactly as the whole tensor would. The pieces' results are then assembled into
// the tensor's one result, with the bytes the CPU backend gives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "host/backends/cuda/device_job.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut::cuda {

// Why a job too large for a slot cannot run in pieces, or empty when it can:
//  - it has one block (per-tensor granularity, or a single group): a block's histogram and unique
//    values live in one batch, so its values would have to be counted across batches;
//  - it groups axis 1 with per-channel scale: a channel's scale spans every block of its row, so a
//    piece alone would compute another scale.
std::string piece_gap(const DeviceJob& job);

// Most consecutive blocks of `job` that fit one slot alone (0 when not even one does).
std::uint64_t blocks_per_piece(const DeviceJob& job, std::size_t device_bytes,
                               std::size_t pinned_bytes);

// One piece: blocks [first_block, first_block + blocks) of a tensor, as a request of its own over
// the tensor's data (a view when the blocks are contiguous, else a gathered copy).
struct TensorPiece {
  std::uint64_t first_block = 0;
  std::uint64_t blocks = 0;
  std::vector<std::uint8_t> gathered;
  PalettizeRequest request;
};

// A tensor split into pieces; piece p's result is expected at results[first_result + p].
struct SplitTensor {
  const DeviceJob* whole = nullptr;
  std::deque<TensorPiece> pieces;  // a deque: the requests stay where the pieces' jobs point
  std::size_t first_result = 0;
};

// A job too large for a slot that the CPU backend takes, and why.
struct UnsplitJob {
  const DeviceJob* job = nullptr;
  std::string reason;
};

// The device jobs too large for a slot, split into pieces, and the batches those pieces make.
class TensorPieces {
 public:
  // Splits every job of `too_large` that can be split, in pieces that each fit `device_bytes` and
  // `pinned_bytes`; the pieces' results are numbered from `first_result_index` on.
  TensorPieces(const std::vector<const DeviceJob*>& too_large, std::size_t first_result_index,
               std::size_t device_bytes, std::size_t pinned_bytes);
  TensorPieces(const TensorPieces&) = delete;
  TensorPieces& operator=(const TensorPieces&) = delete;

  const std::vector<UnsplitJob>& unsplit() const { return unsplit_; }
  const std::vector<SplitTensor>& split() const { return split_; }
  // The pieces' batches: each tensor's pieces in order, in consecutive batches.
  const std::vector<std::vector<const DeviceJob*>>& batches() const { return batches_; }
  std::size_t piece_count() const { return piece_jobs_.size(); }

  // Moves each split tensor's assembled result to results[request_index] and drops the pieces'
  // results (results ends at first_result_index). A tensor with a piece in `for_cpu` (flagged by
  // the device) goes to the CPU backend whole: its index replaces the pieces' in `for_cpu`.
  void assemble(std::vector<PalettizeResult>& results, std::vector<std::size_t>& for_cpu) const;

 private:
  std::size_t first_result_index_;
  std::vector<UnsplitJob> unsplit_;
  std::vector<SplitTensor> split_;
  std::vector<DeviceJob> piece_jobs_;  // every tensor's pieces, tensor after tensor
  std::vector<std::vector<const DeviceJob*>> batches_;
};

// The one result of a tensor from its pieces' results, in piece order: LUTs (with lut_qspec their
// scales and zero points), indices and scale put back where the tensor's blocks lie, the indices
// packed over the whole tensor, the error sums added piece after piece.
PalettizeResult assemble_pieces(const SplitTensor& tensor,
                                const std::vector<const PalettizeResult*>& piece_results);

}  // namespace kmlut::cuda
