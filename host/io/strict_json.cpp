#include "host/io/strict_json.hpp"

#include <unordered_set>
#include <utility>

#include "config/key_path.hpp"
#include "kmlut/error.hpp"

namespace kmlut::detail {
namespace {

using Json = nlohmann::json;

// serde_json's recursion limit, so the reference reader rejects deeper headers too.
constexpr int kMaxJsonDepth = 128;

// nlohmann quotes the offending input bytes in its messages, which may be invalid UTF-8.
std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

// Drops nlohmann's "[json.exception.parse_error.101] " prefix.
std::string_view without_exception_id(std::string_view message) {
  const std::size_t end_of_id = message.find("] ");
  return end_of_id == std::string_view::npos ? message : message.substr(end_of_id + 2);
}

// Sees every parse event of nlohmann's DOM parser to catch what the DOM loses: a key repeated in
// one object (nlohmann keeps the last value), and the document order of one member's keys
// (nlohmann::json sorts keys; ordered_json keeps their order but inserts in quadratic time, too
// slow for an index of 100,000 tensors).
class JsonScanner {
 public:
  JsonScanner(const std::string& source, std::string_view ordered_member)
      : source_(source), ordered_member_(ordered_member) {}

  bool on_event(int depth, Json::parse_event_t event, const Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        check_depth(depth);
        open_objects_.emplace_back();
        break;
      case Json::parse_event_t::array_start:
        check_depth(depth);
        break;
      case Json::parse_event_t::object_end:
        open_objects_.pop_back();
        break;
      case Json::parse_event_t::key:
        on_key(depth, parsed.get_ref<const std::string&>());
        break;
      default:
        break;
    }
    return true;  // keep every value
  }

  std::vector<std::string> take_member_keys() { return std::move(member_keys_); }
  std::vector<std::string> take_root_keys() { return std::move(root_keys_); }

 private:
  void check_depth(int depth) const {
    if (depth >= kMaxJsonDepth) {
      throw InputError(source_ + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                       " levels");
    }
  }

  // Keys of the root object arrive at depth 1, keys of an object that is a root member at depth 2.
  void on_key(int depth, const std::string& key) {
    if (!open_objects_.back().insert(key).second) {
      const std::string where = depth > 1 ? " in " + json_quote(current_member_) : "";
      throw InputError(source_ + ": duplicate key " + json_quote(key) + where);
    }
    if (depth == 1) {
      current_member_ = key;
      root_keys_.push_back(key);
    } else if (depth == 2 && current_member_ == ordered_member_) {
      member_keys_.push_back(key);
    }
  }

  const std::string& source_;
  std::string_view ordered_member_;
  std::vector<std::unordered_set<std::string>> open_objects_;
  std::string current_member_;
  std::vector<std::string> member_keys_;
  std::vector<std::string> root_keys_;
};

}  // namespace

JsonDocument parse_json_document(std::string_view text, const std::string& source,
                                 std::string_view ordered_member) {
  // nlohmann's lexer takes a NUL byte for the end of the input, so "{}\0junk" would pass.
  const std::size_t nul = text.find('\0');
  if (nul != std::string_view::npos) {
    throw InputError(source + ": invalid JSON: NUL byte at offset " + std::to_string(nul));
  }
  JsonScanner scanner(source, ordered_member);
  JsonDocument document;
  try {
    document.root = Json::parse(text.begin(), text.end(),
                                [&scanner](int depth, Json::parse_event_t event, Json& parsed) {
                                  return scanner.on_event(depth, event, parsed);
                                });
  } catch (const Json::exception& error) {
    throw InputError(source + ": invalid JSON: " + printable(without_exception_id(error.what())));
  }
  document.member_keys = scanner.take_member_keys();
  document.root_keys = scanner.take_root_keys();
  return document;
}

}  // namespace kmlut::detail
