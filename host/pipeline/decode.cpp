// Decoding a kmlut v1 checkpoint to dense safetensors, with the input's sharding.
#include "kmlut/decode.hpp"

#include "kmlut/checkpoint_writer.hpp"

namespace kmlut {
namespace {

// Which tensors one output shard holds, in the input's order: a palettized tensor where its LUT
// was, every tensor that is not a part as it is.
struct DecodedShard {
  std::vector<const Checkpoint::TensorRef*> copies;
  std::vector<const KmlutIndex::Entry*> entries;
};

std::vector<ShardContents> decoded_layout(const Checkpoint& input, const KmlutIndex& index,
                                          std::vector<DecodedShard>& decoded) {
  std::vector<ShardContents> shards = CheckpointWriter::mirror_shards(input);
  decoded.resize(shards.size());
  for (ShardContents& shard : shards)
    shard.metadata = {{"format", "pt"}};
  for (const Checkpoint::TensorRef& ref : input.tensors()) {
    std::vector<OutputTensor>& tensors = shards[ref.shard].tensors;
    const KmlutIndex::Entry* entry = index.entry_of_part(ref.info->name);
    if (entry == nullptr) {
      decoded[ref.shard].copies.push_back(&ref);
      tensors.push_back({ref.info->name, ref.info->dtype, ref.info->shape});
    } else if (entry->info.lut == ref.info->name) {
      decoded[ref.shard].entries.push_back(entry);
      tensors.push_back({entry->info.name, entry->info.dtype, entry->info.shape});
    }
  }
  return shards;
}

}  // namespace

DecodeSummary decode_checkpoint(const Checkpoint& input, const std::filesystem::path& output) {
  const KmlutIndex index(input);
  std::vector<DecodedShard> decoded;
  CheckpointWriter writer(output, input.layout(), decoded_layout(input, index, decoded));
  DecodeSummary summary;
  for (const DecodedShard& shard : decoded) {
    for (const Checkpoint::TensorRef* ref : shard.copies) {
      writer.write(ref->info->name, input.data(*ref));
      input.release(*ref);
      ++summary.copied;
    }
    for (const KmlutIndex::Entry* entry : shard.entries) {
      const std::vector<std::uint8_t> dense = index.reconstruct(*entry);
      writer.write(entry->info.name, {dense.data(), dense.size()});
      ++summary.palettized;
    }
  }
  summary.bytes = writer.data_size();
  summary.files = writer.commit();
  return summary;
}

}  // namespace kmlut
