// Error types of the kmlut library. Every error carries a message that names the file, tensor
// or config key it concerns; the category tells a caller (and the CLI's exit code) what went wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace kmlut {

// Base of every exception the library throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The configuration (JSON/YAML, presets, a manifest's settings) is invalid. CLI exit code 2.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// An input file (checkpoint, index, manifest) is malformed or inconsistent. CLI exit code 3.
class InputError : public Error {
 public:
  using Error::Error;
};

}  // namespace kmlut
