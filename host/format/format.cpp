// (De)serialisation of the "kmlut.tensors" metadata entry.
#include "kmlut/format.hpp"

#include <nlohmann/json.hpp>

#include "kmlut/error.hpp"

namespace kmlut {
namespace {

using Json = nlohmann::ordered_json;

template <class T>
Json optional_json(const std::optional<T>& value) {
  return value ? Json(*value) : Json();
}

[[noreturn]] void fail(const std::string& source, const std::string& tensor,
                       const std::string& problem) {
  throw InputError(source + ": " + kKmlutTensorsKey + ": tensor " + Json(tensor).dump() + ": " +
                   problem);
}

template <class T>
std::optional<T> optional_field(const Json& entry, const char* key, const std::string& source,
                                const std::string& tensor) {
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null())
    return std::nullopt;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    fail(source, tensor, std::string("field \"") + key + "\" has the wrong type");
  }
}

template <class T>
T required_field(const Json& entry, const char* key, const std::string& source,
                 const std::string& tensor) {
  std::optional<T> value = optional_field<T>(entry, key, source, tensor);
  if (!value)
    fail(source, tensor, std::string("missing field \"") + key + "\"");
  return *value;
}

PalettizedTensorInfo parse_entry(const std::string& name, const Json& entry,
                                 const std::string& source) {
  if (!entry.is_object())
    fail(source, name, "expected an object");
  PalettizedTensorInfo info;
  info.name = name;
  info.shape = required_field<std::vector<std::int64_t>>(entry, "shape", source, name);
  const std::string dtype = required_field<std::string>(entry, "dtype", source, name);
  const std::optional<DType> parsed = parse_dtype(dtype);
  if (!parsed || !is_palettizable_dtype(*parsed))
    fail(source, name, "unsupported dtype " + dtype);
  info.dtype = *parsed;
  info.n_bits = required_field<int>(entry, "n_bits", source, name);
  if (info.n_bits < 1 || info.n_bits > 8)
    fail(source, name, "n_bits must be 1 to 8");
  info.cluster_dim = required_field<int>(entry, "cluster_dim", source, name);
  if (info.cluster_dim < 1)
    fail(source, name, "cluster_dim must be >= 1");
  info.vector_axis = optional_field<int>(entry, "vector_axis", source, name);
  info.group_axis = optional_field<int>(entry, "group_axis", source, name);
  info.group_size = optional_field<std::int64_t>(entry, "group_size", source, name);
  info.packing = required_field<std::string>(entry, "packing", source, name);
  if (info.packing != "lsb_bitstream")
    fail(source, name, "unknown packing " + info.packing);
  info.lut = required_field<std::string>(entry, "lut", source, name);
  info.indices = required_field<std::string>(entry, "indices", source, name);
  info.scale = optional_field<std::string>(entry, "scale", source, name);
  for (std::int64_t dim : info.shape) {
    if (dim < 0)
      fail(source, name, "negative dimension in shape");
  }
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
  Json document = Json::object();
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

std::vector<PalettizedTensorInfo> parse_kmlut_tensors(const std::string& json,
                                                      const std::string& source) {
  Json document;
  try {
    document = Json::parse(json);
  } catch (const nlohmann::json::exception& error) {
    throw InputError(source + ": " + kKmlutTensorsKey + " is not valid JSON: " + error.what());
  }
  if (!document.is_object()) {
    throw InputError(source + ": " + kKmlutTensorsKey + " must be a JSON object");
  }
  std::vector<PalettizedTensorInfo> tensors;
  for (const auto& item : document.items()) {
    tensors.push_back(parse_entry(item.key(), item.value(), source));
  }
  return tensors;
}

}  // namespace kmlut
