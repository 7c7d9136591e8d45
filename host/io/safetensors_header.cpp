// Validation follows the reference reader (huggingface/safetensors, SafeTensors::read_metadata and
// Metadata::validate) rule by rule, and adds what serde silently tolerates: duplicate keys and
// empty tensor names are errors here.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/key_path.hpp"
#include "host/io/strict_json.hpp"
#include "kmlut/error.hpp"
#include "kmlut/safetensors.hpp"

namespace kmlut {

using detail::json_quote;

namespace {

using Json = nlohmann::json;

constexpr std::string_view kMetadataKey = "__metadata__";
constexpr std::uint64_t kMaxDimension = std::uint64_t{1} << 53;
constexpr std::size_t kLengthPrefixBytes = 8;

[[noreturn]] void throw_tensor_error(const std::string& source, const std::string& name,
                                     const std::string& problem) {
  throw InputError(source + ": tensor " + json_quote(name) + ": " + problem);
}

std::uint64_t read_header_length(ByteView file, const std::string& source) {
  if (file.size < kLengthPrefixBytes) {
    throw InputError(source + ": file too small for a safetensors header (" +
                     std::to_string(file.size) + " bytes)");
  }
  std::uint64_t length = 0;  // little-endian u64
  for (std::size_t i = kLengthPrefixBytes; i-- > 0;) {
    length = (length << 8) | file.data[i];
  }
  if (length > kMaxSafetensorsHeaderBytes) {
    throw InputError(source + ": header too large: " + std::to_string(length) +
                     " bytes, the limit is " + std::to_string(kMaxSafetensorsHeaderBytes));
  }
  if (length > file.size - kLengthPrefixBytes) {
    throw InputError(source + ": header length " + std::to_string(length) +
                     " exceeds the file size (" + std::to_string(file.size) + " bytes)");
  }
  return length;
}

const Json& required_field(const Json& entry, const char* field, const std::string& source,
                           const std::string& name) {
  const auto it = entry.find(field);
  if (it == entry.end()) {
    throw_tensor_error(source, name, std::string("missing \"") + field + "\"");
  }
  return *it;
}

DType parse_dtype_field(const Json& value, const std::string& source, const std::string& name) {
  if (!value.is_string()) {
    throw_tensor_error(source, name, "dtype must be a string");
  }
  const auto& text = value.get_ref<const std::string&>();
  const std::optional<DType> dtype = parse_dtype(text);
  if (!dtype) {
    throw_tensor_error(source, name, "unknown dtype " + json_quote(text));
  }
  return *dtype;
}

std::vector<std::int64_t> parse_shape(const Json& value, const std::string& source,
                                      const std::string& name) {
  if (!value.is_array()) {
    throw_tensor_error(source, name, "shape must be an array of non-negative integers");
  }
  std::vector<std::int64_t> shape;
  shape.reserve(value.size());
  for (const Json& dim : value) {
    if (!dim.is_number_unsigned()) {
      throw_tensor_error(source, name,
                         "shape must be an array of non-negative integers, found " + dim.dump());
    }
    const auto extent = dim.get<std::uint64_t>();
    if (extent > kMaxDimension) {
      throw_tensor_error(source, name,
                         "shape dimension " + std::to_string(extent) + " is larger than 2^53");
    }
    shape.push_back(static_cast<std::int64_t>(extent));
  }
  return shape;
}

std::pair<std::uint64_t, std::uint64_t> parse_offsets(const Json& value, const std::string& source,
                                                      const std::string& name) {
  if (!value.is_array() || value.size() != 2 || !value[0].is_number_unsigned() ||
      !value[1].is_number_unsigned()) {
    throw_tensor_error(source, name, "data_offsets must be an array of two unsigned integers");
  }
  return {value[0].get<std::uint64_t>(), value[1].get<std::uint64_t>()};
}

std::optional<std::uint64_t> checked_element_count(const std::vector<std::int64_t>& shape) {
  std::uint64_t count = 1;
  for (const std::int64_t extent : shape) {
    if (extent < 0 || __builtin_mul_overflow(count, static_cast<std::uint64_t>(extent), &count)) {
      return std::nullopt;
    }
  }
  return count;
}

// Rule 6 of the reference: the offsets must span exactly the bytes that shape and dtype need.
void check_byte_size(const TensorInfo& tensor, const std::string& source) {
  const std::optional<std::uint64_t> count = checked_element_count(tensor.shape);
  if (!count) {
    throw_tensor_error(source, tensor.name,
                       "element count of shape " + shape_text(tensor.shape) + " overflows 64 bits");
  }
  std::uint64_t bits = 0;
  if (__builtin_mul_overflow(*count, std::uint64_t{dtype_bits(tensor.dtype)}, &bits)) {
    throw_tensor_error(source, tensor.name, "bit size overflows 64 bits");
  }
  if (bits % 8 != 0) {
    throw_tensor_error(source, tensor.name,
                       "misaligned: " + std::to_string(*count) + " elements of " +
                           std::string(dtype_name(tensor.dtype)) + " do not fill whole bytes");
  }
  if (tensor.end < tensor.begin) {
    throw_tensor_error(source, tensor.name,
                       "data_offsets end " + std::to_string(tensor.end) + " is before begin " +
                           std::to_string(tensor.begin));
  }
  if (tensor.nbytes() != bits / 8) {
    throw_tensor_error(source, tensor.name,
                       "data_offsets span " + std::to_string(tensor.nbytes()) +
                           " bytes, but shape " + shape_text(tensor.shape) + " of " +
                           std::string(dtype_name(tensor.dtype)) + " needs " +
                           std::to_string(bits / 8) + " bytes (size mismatch)");
  }
}

TensorInfo parse_tensor_entry(const std::string& name, const Json& entry,
                              const std::string& source) {
  if (name.empty()) {
    throw InputError(source + ": a tensor has an empty name");
  }
  if (!entry.is_object()) {
    throw_tensor_error(source, name, "entry must be a JSON object");
  }
  TensorInfo tensor;
  tensor.name = name;
  tensor.dtype = parse_dtype_field(required_field(entry, "dtype", source, name), source, name);
  tensor.shape = parse_shape(required_field(entry, "shape", source, name), source, name);
  std::tie(tensor.begin, tensor.end) =
      parse_offsets(required_field(entry, "data_offsets", source, name), source, name);
  check_byte_size(tensor, source);
  return tensor;
}

// `keys` lists the members of __metadata__ in file order. The reference accepts null as absent.
std::vector<std::pair<std::string, std::string>> parse_metadata(
    const Json& root, const std::vector<std::string>& keys, const std::string& source) {
  const auto it = root.find(kMetadataKey);
  if (it == root.end() || it->is_null()) {
    return {};
  }
  if (!it->is_object()) {
    throw InputError(source + ": \"__metadata__\" must be an object of string values");
  }
  std::vector<std::pair<std::string, std::string>> metadata;
  metadata.reserve(keys.size());
  for (const std::string& key : keys) {
    const Json& value = it->at(key);
    if (!value.is_string()) {
      throw InputError(source + ": \"__metadata__\" key " + json_quote(key) +
                       " must have a string value, found " + value.dump());
    }
    metadata.emplace_back(key, value.get<std::string>());
  }
  return metadata;
}

// Rule 5 and 7 of the reference: sorted by offsets, the tensors tile the data section exactly.
void check_tiling(const std::vector<TensorInfo>& tensors, std::uint64_t data_size,
                  const std::string& source) {
  std::uint64_t covered = 0;
  for (const TensorInfo& tensor : tensors) {
    if (tensor.begin > covered) {
      throw_tensor_error(source, tensor.name,
                         "data_offsets begin " + std::to_string(tensor.begin) +
                             " leaves a gap after byte " + std::to_string(covered) +
                             " (tensors must be contiguous)");
    }
    if (tensor.begin < covered) {
      throw_tensor_error(source, tensor.name,
                         "data_offsets begin " + std::to_string(tensor.begin) +
                             " overlaps the previous tensor, which ends at " +
                             std::to_string(covered));
    }
    covered = tensor.end;
  }
  if (covered < data_size) {
    throw InputError(source + ": trailing data: " + std::to_string(data_size - covered) +
                     " bytes after the last tensor");
  }
  if (covered > data_size) {
    throw InputError(source + ": file is truncated: the tensors need " + std::to_string(covered) +
                     " data bytes, the file holds " + std::to_string(data_size));
  }
}

}  // namespace

std::uint64_t TensorInfo::numel() const {
  const std::optional<std::uint64_t> count = checked_element_count(shape);
  if (!count) {
    throw std::overflow_error("tensor " + json_quote(name) + ": element count overflows");
  }
  return *count;
}

const TensorInfo* SafetensorsHeader::find(const std::string& name) const {
  const auto it = std::find_if(tensors.begin(), tensors.end(),
                               [&name](const TensorInfo& tensor) { return tensor.name == name; });
  return it == tensors.end() ? nullptr : &*it;
}

const std::string* SafetensorsHeader::metadata_value(const std::string& key) const {
  const auto it = std::find_if(metadata.begin(), metadata.end(),
                               [&key](const auto& entry) { return entry.first == key; });
  return it == metadata.end() ? nullptr : &it->second;
}

SafetensorsHeader parse_safetensors_header(ByteView file, const std::string& source) {
  const std::uint64_t header_length = read_header_length(file, source);
  const std::string_view header_text(reinterpret_cast<const char*>(file.data) + kLengthPrefixBytes,
                                     static_cast<std::size_t>(header_length));
  const detail::JsonDocument document =
      detail::parse_json_document(header_text, source, kMetadataKey);
  if (!document.root.is_object()) {
    throw InputError(source + ": header is not a JSON object");
  }

  SafetensorsHeader header;
  header.data_offset = kLengthPrefixBytes + header_length;
  header.metadata = parse_metadata(document.root, document.member_keys, source);
  for (const auto& [key, entry] : document.root.items()) {
    if (key != kMetadataKey) {
      header.tensors.push_back(parse_tensor_entry(key, entry, source));
    }
  }
  // The name breaks ties between empty tensors so that the order does not depend on the parser.
  std::sort(header.tensors.begin(), header.tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) {
              return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
            });
  check_tiling(header.tensors, file.size - header.data_offset, source);
  return header;
}

}  // namespace kmlut
