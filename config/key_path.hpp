// Key paths in config error messages: "kmeans_palettization_config.module_name_configs["a\\.b"]".
// The loaders and validate() build them the same way, so one rule gives one message.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace kmlut::detail {

// The prefix of every key path.
inline constexpr const char* kConfigRoot = "kmeans_palettization_config";

// A string as a JSON string literal; invalid UTF-8 is replaced rather than thrown on, because it is
// only ever shown to people.
inline std::string json_quote(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline bool is_bare_key(const std::string& key) {
  if (key.empty())
    return false;
  for (char c : key) {
    const bool word = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '*';
    if (!word)
      return false;
  }
  return true;
}

// `path` extended by one map key: ".key" for plain words, "["key"]" for anything else.
inline std::string child_path(const std::string& path, const std::string& key) {
  if (is_bare_key(key))
    return path.empty() ? key : path + "." + key;
  return path + "[" + json_quote(key) + "]";
}

}  // namespace kmlut::detail
