#include "host/backends/cuda/tensor_pieces.hpp"

#include <algorithm>
#include <cstring>

#include "host/palettize/result_shapes.hpp"
#include "kmlut/error.hpp"
#include "kmlut/numeric/bit_packing.hpp"

namespace kmlut::cuda {
namespace {

// The axis the tensor's blocks split (per_grouped_channel's axis; block_layout.hpp).
std::size_t grouped_axis(const DeviceJob& job) {
  return static_cast<std::size_t>(job.request->spec.granularity.axis.value_or(0));
}

const palettize::BlockRuns& runs_of(const DeviceJob& job) {
  return job.layout.blocks.front();
}

// The request of `blocks` blocks of `whole` from `first_block` on, its data not yet set: the
// grouped axis shrinks to those blocks' channels.
PalettizeRequest piece_request(const DeviceJob& whole, std::uint64_t first_block,
                               std::uint64_t blocks) {
  PalettizeRequest request = *whole.request;
  const std::size_t axis = grouped_axis(whole);
  request.weight.shape[axis] = request.weight.shape[axis] /
                               static_cast<std::int64_t>(whole.blocks()) *
                               static_cast<std::int64_t>(blocks);
  request.weight.data = nullptr;
  request.name += " (blocks " + std::to_string(first_block) + " to " +
                  std::to_string(first_block + blocks - 1) + ")";
  return request;
}

// Element (run r, offset o) of a piece is element first_block·run_length + r·run_stride + o of
// the tensor, for o below the piece's run: blocks·run_length.
std::uint64_t piece_source(const palettize::BlockRuns& runs, std::uint64_t first_block,
                           std::uint64_t run) {
  return first_block * runs.run_length + run * runs.run_stride;
}

void set_piece_data(const DeviceJob& whole, TensorPiece& piece) {
  const palettize::BlockRuns& runs = runs_of(whole);
  const auto* data = static_cast<const std::uint8_t*>(whole.request->weight.data);
  const std::uint64_t run_bytes = piece.blocks * runs.run_length * whole.element_bytes;
  if (runs.run_count == 1) {
    piece.request.weight.data =
        data + piece_source(runs, piece.first_block, 0) * whole.element_bytes;
    return;
  }
  piece.gathered.resize(runs.run_count * run_bytes);
  for (std::uint64_t r = 0; r < runs.run_count; ++r) {
    std::memcpy(piece.gathered.data() + r * run_bytes,
                data + piece_source(runs, piece.first_block, r) * whole.element_bytes, run_bytes);
  }
  piece.request.weight.data = piece.gathered.data();
}

bool piece_fits(const DeviceJob& whole, std::uint64_t blocks, std::size_t device_bytes,
                std::size_t pinned_bytes) {
  const PalettizeRequest request = piece_request(whole, 0, blocks);
  return fits_alone(job_footprint(make_device_job(0, request)), device_bytes, pinned_bytes);
}

// The tensor's packed indices from its pieces' packed bytes when every piece starts on a byte
// (8 indices fill n_bits whole bytes), else packed anew from the assembled indices: either way
// the bytes the whole tensor packs to.
std::vector<std::uint8_t> packed_indices(const SplitTensor& tensor,
                                         const std::vector<const PalettizeResult*>& parts,
                                         const std::vector<std::uint8_t>& indices) {
  const DeviceJob& whole = *tensor.whole;
  const palettize::BlockRuns& runs = runs_of(whole);
  bool on_bytes = runs.run_count == 1;
  for (const TensorPiece& piece : tensor.pieces) {
    on_bytes = on_bytes && piece_source(runs, piece.first_block, 0) *
                                   static_cast<std::uint64_t>(whole.n_bits) % 8 ==
                               0;
  }
  std::vector<std::uint8_t> packed;
  if (on_bytes) {
    packed.reserve(whole.packed_bytes());
    for (const PalettizeResult* part : parts)
      packed.insert(packed.end(), part->packed_indices.begin(), part->packed_indices.end());
    return packed;
  }
  packed.assign(whole.packed_bytes(), 0);
  for (std::size_t i = 0; i < indices.size(); ++i)
    numeric::pack_index(packed.data(), i, whole.n_bits, indices[i]);
  return packed;
}

}  // namespace

std::string piece_gap(const DeviceJob& job) {
  if (job.blocks() == 1)
    return "its one block would need its values counted across batches";
  if (job.scaled && grouped_axis(job) == 1)
    return "its per-channel scale spans every block of a row";
  if (!job.sensitivity.empty())
    return "its sensitivities are normalized over the whole tensor";
  return {};
}

std::uint64_t blocks_per_piece(const DeviceJob& job, std::size_t device_bytes,
                               std::size_t pinned_bytes) {
  // The footprint grows with the block count: the largest count that fits, by bisection.
  std::uint64_t fits = 0;
  std::uint64_t too_many = job.blocks() + 1;
  while (too_many - fits > 1) {
    const std::uint64_t blocks = fits + (too_many - fits) / 2;
    (piece_fits(job, blocks, device_bytes, pinned_bytes) ? fits : too_many) = blocks;
  }
  return fits;
}

TensorPieces::TensorPieces(const std::vector<const DeviceJob*>& too_large,
                           std::size_t first_result_index, std::size_t device_bytes,
                           std::size_t pinned_bytes)
    : first_result_index_(first_result_index) {
  split_.reserve(too_large.size());
  std::size_t next_result = first_result_index;
  for (const DeviceJob* whole : too_large) {
    std::string reason = piece_gap(*whole);
    const std::uint64_t per_piece =
        reason.empty() ? blocks_per_piece(*whole, device_bytes, pinned_bytes) : 0;
    if (reason.empty() && per_piece == 0)
      reason = "one of its blocks alone does not fit a slot";
    if (!reason.empty()) {
      unsplit_.push_back(
          {whole, "a tensor larger than a slot that cannot run in pieces: " + reason});
      continue;
    }
    SplitTensor& tensor = split_.emplace_back();
    tensor.whole = whole;
    tensor.first_result = next_result;
    for (std::uint64_t first = 0; first < whole->blocks(); first += per_piece) {
      TensorPiece& piece = tensor.pieces.emplace_back();
      piece.first_block = first;
      piece.blocks = std::min(per_piece, whole->blocks() - first);
      piece.request = piece_request(*whole, first, piece.blocks);
      set_piece_data(*whole, piece);
      piece_jobs_.push_back(make_device_job(next_result++, piece.request));
    }
  }
  BatchPlan plan = plan_batches(piece_jobs_, device_bytes, pinned_bytes);
  if (!plan.too_large.empty())  // cannot happen: blocks_per_piece sized every piece to fit
    throw Error("a piece of " + plan.too_large.front()->request->name + " does not fit a slot");
  batches_ = std::move(plan.batches);
}

void TensorPieces::assemble(std::vector<PalettizeResult>& results,
                            std::vector<std::size_t>& for_cpu) const {
  const auto is_piece = [&](std::size_t index) { return index >= first_result_index_; };
  for (const SplitTensor& tensor : split_) {
    const std::size_t end = tensor.first_result + tensor.pieces.size();
    const bool flagged = std::any_of(for_cpu.begin(), for_cpu.end(), [&](std::size_t index) {
      return index >= tensor.first_result && index < end;
    });
    if (flagged) {
      for_cpu.push_back(tensor.whole->request_index);
      continue;
    }
    std::vector<const PalettizeResult*> parts;
    for (std::size_t index = tensor.first_result; index < end; ++index)
      parts.push_back(&results[index]);
    results[tensor.whole->request_index] = assemble_pieces(tensor, parts);
  }
  for_cpu.erase(std::remove_if(for_cpu.begin(), for_cpu.end(), is_piece), for_cpu.end());
  results.resize(first_result_index_);
}

PalettizeResult assemble_pieces(const SplitTensor& tensor,
                                const std::vector<const PalettizeResult*>& parts) {
  const DeviceJob& whole = *tensor.whole;
  const palettize::BlockRuns& runs = runs_of(whole);
  PalettizeResult result;
  result.palettized = true;
  palettize::set_part_shapes(*whole.request, result);
  result.lut.reserve(whole.lut_bytes());
  result.indices.resize(whole.numel);
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const TensorPiece& piece = tensor.pieces[p];
    const PalettizeResult& part = *parts[p];
    result.lut.insert(result.lut.end(), part.lut.begin(), part.lut.end());
    // With lut_qspec, one scale and zero point per LUT, in the LUTs' order.
    result.lut_scale.insert(result.lut_scale.end(), part.lut_scale.begin(), part.lut_scale.end());
    result.lut_zero_point.insert(result.lut_zero_point.end(), part.lut_zero_point.begin(),
                                 part.lut_zero_point.end());
    // Pieces split the grouped axis; with scale that is axis 0, so the rows follow in order.
    result.scale.insert(result.scale.end(), part.scale.begin(), part.scale.end());
    const std::uint64_t run = piece.blocks * runs.run_length;
    for (std::uint64_t r = 0; r < runs.run_count; ++r) {
      std::copy_n(part.indices.begin() + static_cast<std::ptrdiff_t>(r * run), run,
                  result.indices.begin() +
                      static_cast<std::ptrdiff_t>(piece_source(runs, piece.first_block, r)));
    }
    // Piece after piece, as the device sums each piece's chunks.
    result.sse += part.sse;
    result.weight_sq_norm += part.weight_sq_norm;
    result.unique_path_blocks += part.unique_path_blocks;
  }
  result.packed_indices = packed_indices(tensor, parts, result.indices);
  return result;
}

}  // namespace kmlut::cuda
