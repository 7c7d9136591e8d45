// Strict JSON parsing for the files kmlut reads (safetensors headers, index files): duplicate keys,
// NUL bytes and nesting deeper than the reference reader allows are InputErrors naming the file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kmlut::detail {

struct JsonDocument {
  nlohmann::json root;
  std::vector<std::string> member_keys;  // keys of root[ordered_member], in document order
  std::vector<std::string> root_keys;    // keys of the root object, in document order
};

// Parses `text`; `source` names it in error messages. nlohmann::json sorts object keys, so the
// document order of one member's keys is returned separately.
JsonDocument parse_json_document(std::string_view text, const std::string& source,
                                 std::string_view ordered_member);

}  // namespace kmlut::detail
