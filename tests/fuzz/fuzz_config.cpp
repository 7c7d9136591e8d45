// libFuzzer target: arbitrary bytes as a JSON and as a YAML config. A ConfigError is the expected
// answer to bad input; any other exception, a crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kmlut/config_io.hpp"
#include "kmlut/error.hpp"

namespace {

template <class Load>
void load_and_round_trip(std::string_view text, Load load) {
  try {
    const kmlut::KMeansPalettizerConfig config = load(text);
    // Whatever loads must survive its own serialization unchanged.
    if (kmlut::config_from_json(kmlut::config_to_json(config)) != config)
      __builtin_trap();
    if (kmlut::config_from_yaml(kmlut::config_to_yaml(config)) != config)
      __builtin_trap();
  } catch (const kmlut::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  load_and_round_trip(text, [](std::string_view t) { return kmlut::config_from_json(t); });
  load_and_round_trip(text, [](std::string_view t) { return kmlut::config_from_yaml(t); });
  return 0;
}
