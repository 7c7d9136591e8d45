// YAML <-> document tree. yaml-cpp parses; this file builds the tree from its events, giving the
// scalars their YAML 1.2 core-schema types (yaml-cpp keeps them as text), resolving aliases,
// applying "<<" merge keys (which yaml-cpp does not implement) the way PyYAML does, since
// coreai_opt reads configs with yaml.safe_load, and rejecting duplicate keys.
#include "config/yaml_tree.hpp"

#include <re2/re2.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/document_limits.hpp"
#include "config/key_path.hpp"
#include "kmlut/error.hpp"

namespace kmlut::detail {
namespace {

constexpr const char* kStrTag = "tag:yaml.org,2002:str";
constexpr const char* kMapTag = "tag:yaml.org,2002:map";
constexpr const char* kSeqTag = "tag:yaml.org,2002:seq";
constexpr const char* kPlainTag = "?";   // yaml-cpp's tag of an untagged plain node
constexpr const char* kQuotedTag = "!";  // ... and of a quoted or block scalar

bool is_null_word(const std::string& text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::optional<bool> bool_word(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE")
    return true;
  if (text == "false" || text == "False" || text == "FALSE")
    return false;
  return std::nullopt;
}

enum class Parsed : std::uint8_t { No, Yes, OutOfRange };

// A YAML 1.2 core-schema integer: decimal with an optional sign, 0o octal or 0x hexadecimal.
// Like nlohmann's JSON parser, values above INT64_MAX become unsigned.
Parsed parse_int(const std::string& text, Tree& out) {
  static const RE2 decimal("[-+]?[0-9]+");
  static const RE2 octal("0o[0-7]+");
  static const RE2 hex("0x[0-9a-fA-F]+");
  int base = 10;
  std::size_t start = 0;
  if (RE2::FullMatch(text, hex) || RE2::FullMatch(text, octal)) {
    base = text[1] == 'x' ? 16 : 8;
    start = 2;
  } else if (RE2::FullMatch(text, decimal)) {
    start = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  } else {
    return Parsed::No;
  }
  std::uint64_t magnitude = 0;
  const auto result =
      std::from_chars(text.data() + start, text.data() + text.size(), magnitude, base);
  if (result.ec != std::errc())
    return Parsed::OutOfRange;
  constexpr auto kMaxInt64 = std::uint64_t(std::numeric_limits<std::int64_t>::max());
  if (text[0] != '-') {
    out = magnitude <= kMaxInt64 ? Tree(std::int64_t(magnitude)) : Tree(magnitude);
  } else if (magnitude <= kMaxInt64 + 1) {
    out = Tree(std::int64_t(-std::int64_t(magnitude - 1) - 1));  // reaches INT64_MIN
  } else {
    return Parsed::OutOfRange;
  }
  return Parsed::Yes;
}

// A YAML 1.2 core-schema float, including .inf and .nan.
Parsed parse_float(const std::string& text, Tree& out) {
  static const RE2 number("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  static const RE2 infinity("([-+]?)\\.(inf|Inf|INF)");
  static const RE2 nan("\\.(nan|NaN|NAN)");
  std::string sign;
  if (RE2::FullMatch(text, infinity, &sign)) {
    const double inf = std::numeric_limits<double>::infinity();
    out = Tree(sign == "-" ? -inf : inf);
    return Parsed::Yes;
  }
  if (RE2::FullMatch(text, nan)) {
    out = Tree(std::numeric_limits<double>::quiet_NaN());
    return Parsed::Yes;
  }
  if (!RE2::FullMatch(text, number))
    return Parsed::No;
  const std::size_t start = text[0] == '+' ? 1 : 0;  // from_chars takes no '+'
  double value = 0;
  const auto result = std::from_chars(text.data() + start, text.data() + text.size(), value);
  if (result.ec != std::errc())
    return Parsed::OutOfRange;
  out = Tree(value);
  return Parsed::Yes;
}

// Builds the tree from yaml-cpp's parse events rather than from YAML::Node: the nesting lives in
// an explicit stack with a depth bound, an alias of an unfinished anchor (a cycle) is an error
// instead of endless recursion, and alias copies count against the value budget.
class TreeBuilder final : public YAML::EventHandler {
 public:
  explicit TreeBuilder(const std::string& source) : source_(source) {}

  bool has_root() const { return has_root_; }
  Tree take_root() {
    has_root_ = false;
    return std::move(root_);
  }
  const YAML::Mark& document_mark() const { return document_mark_; }

  void OnDocumentStart(const YAML::Mark& mark) override { document_mark_ = mark; }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (expecting_key())
      fail(mark, frames_.back().path, "mapping keys must be strings, got null");
    charge(mark, 1);
    complete(mark, anchor, nullptr, 1);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& text) override {
    if (tag != kPlainTag && tag != kQuotedTag && tag != kStrTag) {
      fail(mark, child_path_here(), "unsupported tag " + json_quote(tag));
    }
    charge(mark, 1);
    if (expecting_key()) {
      if (anchor != YAML::NullAnchor) {
        charge(mark, 1);
        anchors_[anchor] = {text, 1};
      }
      return set_key(mark, text, tag == kPlainTag && text == "<<");
    }
    complete(mark, anchor, scalar_value(mark, tag, text), 1);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      fail(mark, child_path_here(), "an alias may not refer to a node that contains it");
    }
    const auto& [value, size] = it->second;
    charge(mark, size);
    if (!expecting_key())
      return complete(mark, YAML::NullAnchor, value, size);
    if (!value.is_string())
      fail(mark, frames_.back().path, "mapping keys must be strings");
    set_key(mark, value.get<std::string>(), false);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(mark, tag, kSeqTag, anchor, false);
  }

  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(mark, tag, kMapTag, anchor, true);
  }

  void OnMapEnd() override { close(); }

 private:
  using Entries = std::vector<std::pair<std::string, Tree>>;

  struct Frame {
    bool is_map = false;
    std::string path;
    YAML::Mark mark;
    YAML::anchor_t anchor = YAML::NullAnchor;
    std::size_t size = 1;  // values in this node, itself included
    Tree items = Tree::array();
    // Mapping state: the pending key, then the merged and the mapping's own entries.
    bool has_key = false;
    bool key_is_merge = false;
    std::string key;
    Entries merged;
    Entries own;
    std::unordered_set<std::string> seen;
  };

  struct Anchored {
    Tree value;
    std::size_t size;
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& path,
                         const std::string& problem) const {
    std::string where;
    if (!mark.is_null()) {
      where = " (line " + std::to_string(mark.line + 1) + ", column " +
              std::to_string(mark.column + 1) + ")";
    }
    throw ConfigError(source_ + ": " + (path.empty() ? "" : path + ": ") + problem + where);
  }

  // A quoted scalar is a string; a plain one is typed by the YAML 1.2 core schema.
  Tree scalar_value(const YAML::Mark& mark, const std::string& tag, const std::string& text) const {
    if (tag != kPlainTag)
      return text;
    if (is_null_word(text))
      return nullptr;
    if (const auto flag = bool_word(text))
      return *flag;
    Tree number;
    for (auto parse : {parse_int, parse_float}) {
      const Parsed parsed = parse(text, number);
      if (parsed == Parsed::Yes)
        return number;
      if (parsed == Parsed::OutOfRange) {
        fail(mark, child_path_here(), "number " + text + " is out of range");
      }
    }
    return text;
  }

  bool expecting_key() const {
    return !frames_.empty() && frames_.back().is_map && !frames_.back().has_key;
  }

  // The path of the node that is about to complete.
  std::string child_path_here() const {
    if (frames_.empty())
      return "";
    const Frame& top = frames_.back();
    if (!top.is_map)
      return top.path + "[" + std::to_string(top.items.size()) + "]";
    if (!top.has_key || top.key_is_merge)
      return top.path;
    return child_path(top.path, top.key);
  }

  void charge(const YAML::Mark& mark, std::size_t values) {
    values_ += values;
    if (values_ > kMaxDocumentValues) {
      fail(mark, child_path_here(), "more than 1000000 values (after expanding aliases)");
    }
  }

  void set_key(const YAML::Mark& mark, const std::string& key, bool is_merge) {
    Frame& top = frames_.back();
    if (!is_merge && !top.seen.insert(key).second) {
      fail(mark, top.path, "duplicate key " + json_quote(key));
    }
    if (top.seen.size() > kMaxMappingKeys)
      fail(mark, top.path, "more than 10000 keys");
    top.key = key;
    top.key_is_merge = is_merge;
    top.has_key = true;
  }

  void open(const YAML::Mark& mark, const std::string& tag, const char* core_tag,
            YAML::anchor_t anchor, bool is_map) {
    const std::string path = child_path_here();
    if (expecting_key())
      fail(mark, path, "mapping keys must be strings");
    if (tag != kPlainTag && tag != kQuotedTag && tag != core_tag) {
      fail(mark, path, "unsupported tag " + json_quote(tag));
    }
    if (frames_.size() >= kMaxNestingDepth)
      fail(mark, path, "nested deeper than 128 levels");
    charge(mark, 1);
    Frame frame;
    frame.is_map = is_map;
    frame.path = path;
    frame.mark = mark;
    frame.anchor = anchor;
    frames_.push_back(std::move(frame));
  }

  void close() {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    Tree value = frame.is_map ? mapping_value(frame) : std::move(frame.items);
    complete(frame.mark, frame.anchor, std::move(value), frame.size);
  }

  // Hands a finished node to its parent (or makes it the document).
  void complete(const YAML::Mark& mark, YAML::anchor_t anchor, Tree value, std::size_t size) {
    if (anchor != YAML::NullAnchor) {
      charge(mark, size);  // the anchor keeps a copy: nested anchors must not multiply memory
      anchors_[anchor] = {value, size};
    }
    if (frames_.empty()) {
      root_ = std::move(value);
      has_root_ = true;
      return;
    }
    Frame& top = frames_.back();
    top.size += size;
    if (!top.is_map) {
      top.items.push_back(std::move(value));
      return;
    }
    top.has_key = false;
    if (top.key_is_merge)
      return merge(top, mark, value);
    top.own.emplace_back(top.key, std::move(value));
  }

  // PyYAML's order: the entries of a merged list's later mappings come first, so that on a
  // repeated key the earlier mapping, and then the mapping's own keys, win.
  void merge(Frame& frame, const YAML::Mark& mark, const Tree& source) {
    const auto is_mapping = [](const Tree& tree) { return tree.is_object(); };
    if (source.is_array() && std::all_of(source.begin(), source.end(), is_mapping)) {
      for (auto it = source.rbegin(); it != source.rend(); ++it) {
        for (const auto& item : it->items())
          frame.merged.emplace_back(item.key(), item.value());
      }
      return;
    }
    if (!source.is_object())
      fail(mark, frame.path, "<< merges a mapping or a list of mappings");
    for (const auto& item : source.items())
      frame.merged.emplace_back(item.key(), item.value());
  }

  // Merged entries first, then the mapping's own; a later entry replaces an earlier one's value
  // but keeps its position, as in a Python dict.
  Tree mapping_value(Frame& frame) const {
    Tree object = Tree::object();
    for (Entries* entries : {&frame.merged, &frame.own}) {
      for (auto& [key, value] : *entries) {
        object[key] = std::move(value);
        if (object.size() > kMaxMappingKeys)
          fail(frame.mark, frame.path, "more than 10000 keys");
      }
    }
    return object;
  }

  const std::string& source_;
  std::vector<Frame> frames_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  std::size_t values_ = 0;
  Tree root_;
  bool has_root_ = false;
  YAML::Mark document_mark_;
};

[[noreturn]] void fail_yaml(const YAML::Exception& error, const std::string& source) {
  std::string where;
  if (!error.mark.is_null()) {
    where = " at line " + std::to_string(error.mark.line + 1) + ", column " +
            std::to_string(error.mark.column + 1);
  }
  throw ConfigError(source + ": invalid YAML" + where + ": " + error.msg);
}

// The tree must be valid UTF-8 to be written as JSON later; nlohmann's strict serializer is the
// check.
void check_utf8(const Tree& tree, const std::string& source) {
  try {
    (void)tree.dump();
  } catch (const Tree::type_error&) {
    throw ConfigError(source + ": the text is not valid UTF-8");
  }
}

bool is_yaml11_word(const std::string& text) {
  static const RE2 words("y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF");
  return RE2::FullMatch(text, words);
}

// Plain only when every YAML reader (including YAML 1.1 ones such as PyYAML) reads a string back.
bool can_be_plain(const std::string& text) {
  static const RE2 word("[A-Za-z_][A-Za-z0-9_.\\-]*");
  return RE2::FullMatch(text, word) && !is_null_word(text) && !bool_word(text) &&
         !is_yaml11_word(text);
}

void emit_string(YAML::Emitter& out, const std::string& text) {
  if (!can_be_plain(text))
    out << YAML::DoubleQuoted;
  out << text;
}

void emit(YAML::Emitter& out, const Tree& tree) {
  switch (tree.type()) {
    case Tree::value_t::object:
      if (tree.empty())
        out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& item : tree.items()) {
        out << YAML::Key;
        emit_string(out, item.key());
        out << YAML::Value;
        emit(out, item.value());
      }
      out << YAML::EndMap;
      return;
    case Tree::value_t::array:
      if (tree.empty())
        out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : tree)
        emit(out, item);
      out << YAML::EndSeq;
      return;
    case Tree::value_t::string:
      return emit_string(out, tree.get_ref<const std::string&>());
    case Tree::value_t::boolean:
      out << tree.get<bool>();
      return;
    case Tree::value_t::number_integer:
      out << tree.get<std::int64_t>();
      return;
    case Tree::value_t::number_unsigned:
      out << tree.get<std::uint64_t>();
      return;
    case Tree::value_t::number_float:
      out << tree.get<double>();
      return;
    default:
      out << YAML::Null;
      return;
  }
}

}  // namespace

Tree yaml_to_tree(std::string_view text, const std::string& source) {
  std::istringstream stream{std::string(text)};
  YAML::Parser parser(stream);
  TreeBuilder builder(source);
  try {
    if (!parser.HandleNextDocument(builder) || !builder.has_root())
      return nullptr;
    Tree tree = builder.take_root();
    // Stop at the second document: yaml-cpp can produce endless empty ones from broken input.
    if (parser.HandleNextDocument(builder)) {
      const YAML::Mark& mark = builder.document_mark();
      throw ConfigError(source + ": expected one YAML document, found another at line " +
                        std::to_string(mark.line + 1) + ", column " +
                        std::to_string(mark.column + 1));
    }
    check_utf8(tree, source);
    return tree;
  } catch (const YAML::Exception& error) {
    fail_yaml(error, source);
  }
}

std::string tree_to_yaml(const Tree& tree) {
  YAML::Emitter out;
  emit(out, tree);
  return std::string(out.c_str()) + "\n";
}

}  // namespace kmlut::detail
