// The peak resident memory of one benchmark case. Linux resets the process's high-water mark
// (VmHWM) when "5" is written to /proc/self/clear_refs; reading VmHWM after the case gives the
// case's own peak, its inputs included. Where the reset is refused (old kernels, some sandboxes),
// the meter falls back to getrusage's maxrss, the peak of the whole process so far, and says so.
#pragma once

#include <cstdint>
#include <string>

namespace kmlut::bench {

class PeakMemoryMeter {
 public:
  // Starts a case: resets the high-water mark if the kernel lets us.
  void reset();
  // The peak resident bytes since reset() (or since the process started, see method()).
  std::uint64_t peak_bytes() const;
  // How the peak was measured, for the report.
  std::string method() const;
  bool per_case() const { return reset_error_.empty() && reset_called_; }

 private:
  bool reset_called_ = false;
  std::string reset_error_;
};

}  // namespace kmlut::bench
