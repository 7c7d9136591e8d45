// Fast mode's rounding tables in device memory, one per rounding precision, computed on first use
// (by the same function as the CPU's table) and kept for the backend's lifetime.
#pragma once

#include <map>
#include <memory>

#include "host/backends/cuda/device_memory.hpp"

namespace kmlut::cuda {

class DeviceRoundingTables {
 public:
  // The table for `precision`; ready for any stream when this returns.
  const float* get(int precision);

 private:
  std::map<int, std::unique_ptr<DeviceBuffer>> tables_;
};

}  // namespace kmlut::cuda
