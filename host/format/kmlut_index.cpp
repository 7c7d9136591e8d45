// The kmlut v1 content of a checkpoint: every shard's "kmlut.tensors" entries, cross-checked
// against the stored tensors (docs/format.md, "Reader checks").
#include <unordered_map>

#include "config/key_path.hpp"
#include "host/format/palettized_parts_check.hpp"
#include "kmlut/decode.hpp"
#include "kmlut/error.hpp"

namespace kmlut {

using detail::json_quote;

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& tensor,
                       const std::string& problem) {
  throw InputError(source + ": tensor " + json_quote(tensor) + ": " + problem);
}

StoredTensor stored(const Checkpoint& checkpoint, const Checkpoint::TensorRef* ref) {
  if (ref == nullptr)
    return {};
  return {ref->info, checkpoint.data(*ref)};
}

void check_version(const SafetensorsHeader& header, const std::string& source) {
  const std::string* version = header.metadata_value(kKmlutVersionKey);
  if (version == nullptr || *version != kKmlutFormatVersion) {
    throw InputError(source + ": metadata " + json_quote(kKmlutVersionKey) + " is " +
                     (version ? json_quote(*version) : std::string("missing")) +
                     "; this kmlut reads version " + kKmlutFormatVersion);
  }
}

// The parts an entry names (lut, indices, scale) and the ones its name implies (lut_scale,
// lut_zero_point), looked up in the checkpoint.
PalettizedParts find_parts(const Checkpoint& checkpoint, const PalettizedTensorInfo& info) {
  const PartNames names = part_names(info.name);
  PalettizedParts parts;
  parts.lut = stored(checkpoint, checkpoint.find(info.lut));
  parts.indices = stored(checkpoint, checkpoint.find(info.indices));
  if (info.scale)
    parts.scale = stored(checkpoint, checkpoint.find(*info.scale));
  parts.lut_scale = stored(checkpoint, checkpoint.find(names.lut_scale));
  parts.lut_zero_point = stored(checkpoint, checkpoint.find(names.lut_zero_point));
  return parts;
}

std::vector<const TensorInfo*> present_parts(const PalettizedParts& parts) {
  std::vector<const TensorInfo*> present;
  for (const StoredTensor* part :
       {&parts.lut, &parts.indices, &parts.scale, &parts.lut_scale, &parts.lut_zero_point}) {
    if (part->info != nullptr)
      present.push_back(part->info);
  }
  return present;
}

}  // namespace

struct KmlutIndex::Impl {
  const Checkpoint* checkpoint = nullptr;
  std::vector<Entry> entries;
  std::unordered_map<std::string, std::size_t> entry_by_name;
  std::unordered_map<std::string, std::size_t> part_owner;  // part tensor -> entry
};

KmlutIndex::KmlutIndex(KmlutIndex&&) noexcept = default;
KmlutIndex& KmlutIndex::operator=(KmlutIndex&&) noexcept = default;
KmlutIndex::~KmlutIndex() = default;

const std::vector<KmlutIndex::Entry>& KmlutIndex::entries() const {
  return impl_->entries;
}

KmlutIndex::KmlutIndex(const Checkpoint& checkpoint) : impl_(std::make_unique<Impl>()) {
  impl_->checkpoint = &checkpoint;
  std::vector<Entry>& entries = impl_->entries;
  std::unordered_map<std::string, std::size_t>& part_owner = impl_->part_owner;
  for (const SafetensorsFile& file : checkpoint.shards()) {
    const std::string source = file.path().string();
    const std::string* listing = file.header().metadata_value(kKmlutTensorsKey);
    if (listing == nullptr)
      continue;
    check_version(file.header(), source);
    for (PalettizedTensorInfo& info : parse_kmlut_tensors(*listing, source)) {
      if (const Entry* previous = find(info.name)) {
        if (previous->info == info)
          continue;  // the same entry in several shards' metadata
        fail(source, info.name, "listed again with a different entry");
      }
      if (checkpoint.find(info.name) != nullptr) {
        fail(source, info.name, "both a palettized entry and a stored tensor");
      }
      Entry entry{std::move(info), 0, {}};
      entry.parts = find_parts(checkpoint, entry.info);
      detail::check_palettized_parts(entry.info, entry.parts, source);
      entry.shard = checkpoint.find(entry.info.lut)->shard;
      for (const TensorInfo* part : present_parts(entry.parts)) {
        const Checkpoint::TensorRef* ref = checkpoint.find(part->name);
        if (ref->shard != entry.shard) {
          fail(source, entry.info.name,
               "its parts " + json_quote(entry.info.lut) + " and " + json_quote(part->name) +
                   " are in different shards");
        }
        if (!part_owner.emplace(part->name, entries.size()).second) {
          fail(source, entry.info.name,
               "its part " + json_quote(part->name) + " also belongs to " +
                   json_quote(entries[part_owner[part->name]].info.name));
        }
      }
      impl_->entry_by_name.emplace(entry.info.name, entries.size());
      entries.push_back(std::move(entry));
    }
  }
}

const KmlutIndex::Entry* KmlutIndex::find(const std::string& name) const {
  const auto it = impl_->entry_by_name.find(name);
  return it == impl_->entry_by_name.end() ? nullptr : &impl_->entries[it->second];
}

const KmlutIndex::Entry* KmlutIndex::entry_of_part(const std::string& tensor) const {
  const auto it = impl_->part_owner.find(tensor);
  return it == impl_->part_owner.end() ? nullptr : &impl_->entries[it->second];
}

std::vector<std::uint8_t> KmlutIndex::reconstruct(const Entry& entry) const {
  return reconstruct_palettized(entry.info, entry.parts,
                                impl_->checkpoint->shards()[entry.shard].path().string());
}

}  // namespace kmlut
