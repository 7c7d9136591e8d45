#include "host/backends/device_list.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "kmlut/error.hpp"

namespace kmlut {
namespace {

int device_number(const std::string& item, const std::string& text, int device_count) {
  const bool digits =
      !item.empty() && item.size() <= 4 &&
      std::all_of(item.begin(), item.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  if (!digits)
    throw ConfigError("device list \"" + text + "\": \"" + item +
                      "\" is not a device number (expected \"all\" or numbers like \"0,1\")");
  const int device = std::stoi(item);
  if (device >= device_count)
    throw ConfigError("device list \"" + text + "\": no device " + item + " (" +
                      std::to_string(device_count) + " device" + (device_count == 1 ? "" : "s") +
                      " here)");
  return device;
}

}  // namespace

std::vector<int> parse_device_list(const std::string& text, int device_count) {
  std::vector<int> devices;
  if (text.empty() || text == "all") {
    const int count = text.empty() ? std::min(device_count, 1) : device_count;
    for (int device = 0; device < count; ++device)
      devices.push_back(device);
    if (devices.empty())
      throw ConfigError("device list \"" + text + "\": no device here");
    return devices;
  }
  std::istringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    const int device = device_number(item, text, device_count);
    if (std::find(devices.begin(), devices.end(), device) != devices.end())
      throw ConfigError("device list \"" + text + "\": device " + item + " is named twice");
    devices.push_back(device);
  }
  if (devices.empty() || text.back() == ',')
    throw ConfigError("device list \"" + text + "\": expected \"all\" or numbers like \"0,1\"");
  return devices;
}

}  // namespace kmlut
