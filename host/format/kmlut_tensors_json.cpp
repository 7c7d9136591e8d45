// The "kmlut.tensors" metadata entry as JSON, written and read strictly (docs/format.md,
// "Metadata"): every integer must be a JSON integer in range, keys appear once, and each entry must
// be consistent on its own (palettized_shapes checks the geometry). Unknown fields are ignored, as
// docs/format.md promises readers of later minor versions.
#include <limits>
#include <nlohmann/json.hpp>

#include "config/key_path.hpp"
#include "host/io/strict_json.hpp"
#include "kmlut/error.hpp"
#include "kmlut/format.hpp"

namespace kmlut {

using detail::json_quote;
namespace {

using Json = nlohmann::json;

template <class T>
Json optional_json(const std::optional<T>& value) {
  return value ? Json(*value) : Json();
}

// One entry being read: where it is, for messages.
class EntryReader {
 public:
  EntryReader(const Json& entry, const std::string& source, const std::string& tensor)
      : entry_(entry), source_(source), tensor_(tensor) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError(source_ + ": " + kKmlutTensorsKey + ": tensor " + json_quote(tensor_) + ": " +
                     problem);
  }

  // A member that may be null or absent.
  const Json* optional(const char* key) const {
    auto it = entry_.find(key);
    return it == entry_.end() || it->is_null() ? nullptr : &*it;
  }

  const Json& required(const char* key) const {
    const Json* value = optional(key);
    if (value == nullptr)
      fail(std::string("missing field \"") + key + "\"");
    return *value;
  }

  // A JSON integer (not 4.9, not true, not "4") in [low, high], low >= 0.
  std::int64_t integer(const Json& value, const std::string& what, std::int64_t low,
                       std::int64_t high) const {
    // nlohmann reads every non-negative integer as unsigned; negative ones and floats fail here.
    if (!value.is_number_unsigned() ||
        value.get<std::uint64_t>() < static_cast<std::uint64_t>(low) ||
        value.get<std::uint64_t>() > static_cast<std::uint64_t>(high)) {
      fail(what + " must be an integer from " + std::to_string(low) + " to " +
           std::to_string(high) + ", not " + value.dump());
    }
    return static_cast<std::int64_t>(value.get<std::uint64_t>());
  }

  int small_integer(const char* key, int low, int high) const {
    return static_cast<int>(integer(required(key), std::string("\"") + key + "\"", low, high));
  }

  template <class T>
  std::optional<T> optional_integer(const char* key, std::int64_t low, std::int64_t high) const {
    const Json* value = optional(key);
    if (value == nullptr)
      return std::nullopt;
    return static_cast<T>(integer(*value, std::string("\"") + key + "\"", low, high));
  }

  std::string string(const Json& value, const char* key) const {
    if (!value.is_string())
      fail(std::string("\"") + key + "\" must be a string, not " + value.dump());
    return value.get<std::string>();
  }

  std::vector<std::int64_t> shape() const {
    const Json& value = required("shape");
    if (!value.is_array())
      fail("\"shape\" must be an array of integers, not " + value.dump());
    std::vector<std::int64_t> shape;
    for (const Json& dim : value) {
      shape.push_back(
          integer(dim, "a dimension of \"shape\"", 0, std::numeric_limits<std::int64_t>::max()));
    }
    return shape;
  }

 private:
  const Json& entry_;
  const std::string& source_;
  const std::string& tensor_;
};

PalettizedTensorInfo parse_entry(const std::string& name, const Json& entry,
                                 const std::string& source) {
  const EntryReader reader(entry, source, name);
  if (!entry.is_object())
    reader.fail("expected an object, not " + entry.dump());
  constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();
  PalettizedTensorInfo info;
  info.name = name;
  info.shape = reader.shape();
  const std::string dtype = reader.string(reader.required("dtype"), "dtype");
  const std::optional<DType> parsed = parse_dtype(dtype);
  if (!parsed || !is_palettizable_dtype(*parsed))
    reader.fail("unsupported dtype " + json_quote(dtype) + " (expected F16, BF16, F32 or F64)");
  info.dtype = *parsed;
  info.n_bits = reader.small_integer("n_bits", 1, 8);
  info.cluster_dim = reader.small_integer("cluster_dim", 1, static_cast<int>(kMaxInt));
  info.vector_axis = reader.optional_integer<int>("vector_axis", 0, kMaxInt);
  info.group_axis = reader.optional_integer<int>("group_axis", 0, kMaxInt);
  info.group_size = reader.optional_integer<std::int64_t>("group_size", 1,
                                                          std::numeric_limits<std::int64_t>::max());
  info.packing = reader.string(reader.required("packing"), "packing");
  if (info.packing != "lsb_bitstream")
    reader.fail("unknown packing " + json_quote(info.packing) + " (expected lsb_bitstream)");
  info.lut = reader.string(reader.required("lut"), "lut");
  info.indices = reader.string(reader.required("indices"), "indices");
  if (const Json* scale = reader.optional("scale"))
    info.scale = reader.string(*scale, "scale");
  return info;
}

}  // namespace

bool operator==(const PalettizedTensorInfo& a, const PalettizedTensorInfo& b) {
  return a.name == b.name && a.shape == b.shape && a.dtype == b.dtype && a.n_bits == b.n_bits &&
         a.cluster_dim == b.cluster_dim && a.vector_axis == b.vector_axis &&
         a.group_axis == b.group_axis && a.group_size == b.group_size && a.packing == b.packing &&
         a.lut == b.lut && a.indices == b.indices && a.scale == b.scale;
}

std::string kmlut_tensors_to_json(const std::vector<PalettizedTensorInfo>& tensors) {
  nlohmann::ordered_json document = nlohmann::ordered_json::object();
  for (const PalettizedTensorInfo& info : tensors) {
    document[info.name] = {{"shape", info.shape},
                           {"dtype", std::string(dtype_name(info.dtype))},
                           {"n_bits", info.n_bits},
                           {"cluster_dim", info.cluster_dim},
                           {"vector_axis", optional_json(info.vector_axis)},
                           {"group_axis", optional_json(info.group_axis)},
                           {"group_size", optional_json(info.group_size)},
                           {"packing", info.packing},
                           {"lut", info.lut},
                           {"indices", info.indices},
                           {"scale", optional_json(info.scale)}};
  }
  return document.dump();
}

std::vector<std::pair<std::string, std::string>> kmlut_metadata(
    const std::vector<PalettizedTensorInfo>& tensors) {
  return {{"format", "pt"},
          {kKmlutVersionKey, kKmlutFormatVersion},
          {kKmlutTensorsKey, kmlut_tensors_to_json(tensors)}};
}

std::vector<PalettizedTensorInfo> parse_kmlut_tensors(const std::string& json,
                                                      const std::string& source) {
  const std::string where = source + ": " + kKmlutTensorsKey;
  const detail::JsonDocument document = detail::parse_json_document(json, where, "");
  if (!document.root.is_object())
    throw InputError(where + " must be a JSON object");
  std::vector<PalettizedTensorInfo> tensors;
  for (const std::string& name : document.root_keys)
    tensors.push_back(parse_entry(name, document.root.at(name), source));
  return tensors;
}

}  // namespace kmlut
