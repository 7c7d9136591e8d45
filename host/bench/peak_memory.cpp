#include "host/bench/peak_memory.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace kmlut::bench {
namespace {

// VmHWM from /proc/self/status in bytes; 0 when it cannot be read.
std::uint64_t vm_hwm_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stoull(line.substr(6)) * 1024;  // "VmHWM:   12345 kB"
  }
  return 0;
}

}  // namespace

void PeakMemoryMeter::reset() {
  reset_called_ = true;
  std::ofstream clear_refs("/proc/self/clear_refs");
  if (clear_refs)
    clear_refs << "5";
  clear_refs.close();
  if (!clear_refs)
    reset_error_ = std::string("writing /proc/self/clear_refs failed: ") + std::strerror(errno);
  else
    reset_error_.clear();
}

std::uint64_t PeakMemoryMeter::peak_bytes() const {
  if (per_case()) {
    if (const std::uint64_t bytes = vm_hwm_bytes())
      return bytes;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux: kilobytes
}

std::string PeakMemoryMeter::method() const {
  if (per_case())
    return "VmHWM after resetting it through /proc/self/clear_refs (per case, inputs included)";
  return "getrusage ru_maxrss: the peak of the whole process so far, not of the case (" +
         (reset_error_.empty() ? std::string("no reset attempted") : reset_error_) + ")";
}

}  // namespace kmlut::bench
