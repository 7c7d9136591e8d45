// Full-match regular expressions for config keys (module and op name patterns). RE2 runs in
// linear time, so a hostile pattern cannot hang the tool; syntax it rejects (backreferences,
// lookaround) is a config error that names the key.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace kmlut::detail {

class FullMatchRegex {
 public:
  // Throws ConfigError("<key_path>: invalid regular expression: <reason>").
  static FullMatchRegex compile(const std::string& pattern, const std::string& key_path);

  // True when the whole of `text` matches (Python's re.fullmatch).
  bool matches(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace kmlut::detail
