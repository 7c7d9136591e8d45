// Reading a caller's options struct whose first field is its size: a caller built against an older
// kmlut.h passes a shorter struct, whose missing fields keep their defaults.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "host/capi/c_api_guard.hpp"
#include "kmlut/error.hpp"

namespace kmlut::capi {

// The defaults from `init`, overlaid with the first struct_size bytes of *given (NULL = defaults).
// Throws ConfigError for a struct_size too small to hold itself.
template <typename Options>
Options read_options(const Options* given, void (*init)(Options*), const char* type) {
  Options options;
  init(&options);
  if (given == nullptr)
    return options;
  if (given->struct_size < sizeof(given->struct_size)) {
    throw ConfigError(std::string(type) + ".struct_size is " + std::to_string(given->struct_size) +
                      "; initialise the struct with its _init function");
  }
  std::memcpy(static_cast<void*>(&options), given, std::min(given->struct_size, sizeof(Options)));
  options.struct_size = sizeof(Options);
  return options;
}

// A C string option: NULL reads as empty.
inline std::string text_or_empty(const char* text) {
  return text == nullptr ? std::string() : std::string(text);
}

}  // namespace kmlut::capi
