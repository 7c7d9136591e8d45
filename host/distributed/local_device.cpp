#include "host/distributed/local_device.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <system_error>
#include <vector>

namespace kmlut::distributed {
namespace {

// The devices this process may use, as CUDA_VISIBLE_DEVICES would name them.
std::vector<std::string> visible_devices() {
  std::vector<std::string> devices;
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
    std::istringstream list(visible);
    for (std::string device; std::getline(list, device, ',');) {
      if (!device.empty())
        devices.push_back(device);
    }
    return devices;
  }
  std::error_code error;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/driver/nvidia/gpus", error), end;
       !error && it != end; it.increment(error))
    ++count;
  for (std::size_t device = 0; device < count; ++device)
    devices.push_back(std::to_string(device));
  return devices;
}

}  // namespace

std::string select_local_device(int local_rank) {
  const std::vector<std::string> devices = visible_devices();
  if (devices.empty())
    return "";
  const std::string& device = devices[static_cast<std::size_t>(local_rank) % devices.size()];
  ::setenv("CUDA_VISIBLE_DEVICES", device.c_str(), /*overwrite=*/1);
  return device;
}

}  // namespace kmlut::distributed
