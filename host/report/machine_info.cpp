#include "host/report/machine_info.hpp"

#include <algorithm>
#include <fstream>
#include <thread>

namespace kmlut::reporting {

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

unsigned resolved_threads(int threads) {
  return threads > 0 ? static_cast<unsigned>(threads)
                     : std::max(1u, std::thread::hardware_concurrency());
}

std::string device_description(const std::string& backend, int threads) {
  return backend + ": " + cpu_model() + ", " + std::to_string(resolved_threads(threads)) +
         " threads";
}

}  // namespace kmlut::reporting
