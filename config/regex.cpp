// FullMatchRegex on RE2: linear-time matching, so a config cannot make resolution hang.
#include "config/regex.hpp"

#include <re2/re2.h>

#include "config/key_path.hpp"
#include "kmlut/error.hpp"

namespace kmlut::detail {

FullMatchRegex FullMatchRegex::compile(const std::string& pattern, const std::string& key_path) {
  RE2::Options options;
  options.set_log_errors(false);  // the error goes into the ConfigError, not to stderr
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) {
    throw ConfigError(key_path + ": invalid regular expression " + json_quote(pattern) + ": " +
                      re->error());
  }
  FullMatchRegex result;
  result.pattern_ = pattern;
  result.re_ = std::move(re);
  return result;
}

bool FullMatchRegex::matches(std::string_view text) const {
  return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

}  // namespace kmlut::detail
