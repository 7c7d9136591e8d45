// Loading and saving configs: text or file -> document tree -> config_from_tree, and back.
#include "kmlut/config_io.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_set>
#include <vector>

#include "config/config_tree.hpp"
#include "config/document_limits.hpp"
#include "config/key_path.hpp"
#include "config/yaml_tree.hpp"
#include "kmlut/error.hpp"

namespace kmlut {
namespace {

using detail::Tree;

void check_size(std::size_t bytes, const std::string& source) {
  if (bytes > detail::kMaxDocumentBytes) {
    throw ConfigError(source + ": configuration is larger than 16 MiB (" + std::to_string(bytes) +
                      " bytes)");
  }
}

// Follows nlohmann's parse events to know each value's key path. nlohmann keeps one of two
// duplicate keys silently; coreai_opt's users expect a mistake like that to be reported.
class JsonGuard {
 public:
  explicit JsonGuard(const std::string& source) : source_(source) {}

  bool on_event(Tree::parse_event_t event, const Tree& parsed) {
    switch (event) {
      case Tree::parse_event_t::object_start:
      case Tree::parse_event_t::array_start:
        open(event == Tree::parse_event_t::array_start);
        break;
      case Tree::parse_event_t::key:
        on_key(parsed.get<std::string>());
        break;
      case Tree::parse_event_t::value:
        count_value();
        element_done();
        break;
      case Tree::parse_event_t::object_end:
      case Tree::parse_event_t::array_end:
        frames_.pop_back();
        element_done();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    std::string path;
    bool is_array = false;
    std::unordered_set<std::string> keys;
    std::string key;
    std::size_t index = 0;
  };

  [[noreturn]] void fail(const std::string& path, const std::string& problem) const {
    throw ConfigError(source_ + ": " + (path.empty() ? "" : path + ": ") + problem);
  }

  std::string current_path() const {
    if (frames_.empty())
      return "";
    const Frame& top = frames_.back();
    if (top.is_array)
      return top.path + "[" + std::to_string(top.index) + "]";
    return detail::child_path(top.path, top.key);
  }

  void count_value() {
    if (++values_ > detail::kMaxDocumentValues)
      fail(current_path(), "more than 1000000 values");
  }

  void open(bool is_array) {
    const std::string path = current_path();
    if (frames_.size() >= detail::kMaxNestingDepth)
      fail(path, "nested deeper than 128 levels");
    count_value();
    frames_.push_back(Frame{path, is_array, {}, {}, 0});
  }

  void on_key(const std::string& key) {
    Frame& top = frames_.back();
    if (!top.keys.insert(key).second)
      fail(top.path, "duplicate key " + detail::json_quote(key));
    if (top.keys.size() > detail::kMaxMappingKeys)
      fail(top.path, "more than 10000 keys");
    top.key = key;
  }

  void element_done() {
    if (!frames_.empty() && frames_.back().is_array)
      ++frames_.back().index;
  }

  const std::string& source_;
  std::vector<Frame> frames_;
  std::size_t values_ = 0;
};

// "[json.exception.parse_error.101] parse error at ..." -> "parse error at ...".
std::string without_exception_id(const char* what) {
  const char* end_of_id = std::strstr(what, "] ");
  return end_of_id ? end_of_id + 2 : what;
}

Tree parse_json(std::string_view text, const std::string& source) {
  JsonGuard guard(source);
  const auto callback = [&guard](int /*depth*/, Tree::parse_event_t event, Tree& parsed) {
    return guard.on_event(event, parsed);
  };
  try {
    return Tree::parse(text.begin(), text.end(), callback);
  } catch (const Tree::exception& error) {
    throw ConfigError(source + ": invalid JSON: " + without_exception_id(error.what()));
  }
}

std::string lowercase_extension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

bool is_yaml_path(const std::filesystem::path& path) {
  const std::string extension = lowercase_extension(path);
  if (extension == ".yaml" || extension == ".yml")
    return true;
  if (extension == ".json")
    return false;
  throw ConfigError(path.string() + ": unknown config file extension " +
                    detail::json_quote(extension) + " (expected .json, .yaml or .yml)");
}

std::string read_file(const std::filesystem::path& path) {
  std::error_code error;
  const auto bytes = std::filesystem::file_size(path, error);
  if (error)
    throw ConfigError(path.string() + ": cannot read: " + error.message());
  check_size(bytes, path.string());
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in)
    throw ConfigError(path.string() + ": cannot read: " + std::strerror(errno));
  return text.str();
}

}  // namespace

KMeansPalettizerConfig config_from_json(std::string_view text, const std::string& source) {
  check_size(text.size(), source);
  return detail::config_from_tree(parse_json(text, source), source);
}

KMeansPalettizerConfig config_from_yaml(std::string_view text, const std::string& source) {
  check_size(text.size(), source);
  return detail::config_from_tree(detail::yaml_to_tree(text, source), source);
}

PalettizationSpec spec_from_json(std::string_view text, const std::string& source) {
  check_size(text.size(), source);
  return detail::spec_from_document(parse_json(text, source), source);
}

KMeansPalettizerConfig load_config(const std::filesystem::path& path) {
  const bool yaml = is_yaml_path(path);
  const std::string text = read_file(path);
  return yaml ? config_from_yaml(text, path.string()) : config_from_json(text, path.string());
}

std::string config_to_json(const KMeansPalettizerConfig& config, int indent) {
  return detail::config_to_tree(config).dump(indent, ' ', false, Tree::error_handler_t::replace);
}

std::string config_to_yaml(const KMeansPalettizerConfig& config) {
  return detail::tree_to_yaml(detail::config_to_tree(config));
}

void save_config(const KMeansPalettizerConfig& config, const std::filesystem::path& path) {
  const std::string text =
      is_yaml_path(path) ? config_to_yaml(config) : config_to_json(config) + "\n";
  // Written beside the target and renamed over it: a failed save never leaves a truncated config.
  std::filesystem::path temporary = path;
  temporary += ".tmp-kmlut";
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  std::error_code error;
  if (!out || (std::filesystem::rename(temporary, path, error), error)) {
    const std::string reason = out ? error.message() : std::strerror(errno);
    std::filesystem::remove(temporary, error);
    throw Error(path.string() + ": cannot write: " + reason);
  }
}

}  // namespace kmlut
