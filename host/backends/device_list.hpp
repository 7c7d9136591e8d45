// The devices a backend runs on, as `--devices` names them: "" (device 0, the default), "all",
// or a comma-separated list of device numbers ("0,1").
#pragma once

#include <string>
#include <vector>

namespace kmlut {

// The device numbers `text` selects among `device_count` devices, in the order given. Throws
// ConfigError for a malformed list, a number not below `device_count`, or a device named twice.
std::vector<int> parse_device_list(const std::string& text, int device_count);

}  // namespace kmlut
