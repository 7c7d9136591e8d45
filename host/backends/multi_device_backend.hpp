// One backend over several devices (docs/cuda-backend.md, "Several GPUs"): N backends, each bound
// to one device, share every batch by estimated cost (host/scheduling/cost_balance.hpp, the rule
// MPI ranks share tensors by). Each backend runs its share on a thread of its own (a CUDA
// backend makes its device current on the thread that calls it), and the results come back in
// request order: every backend gives the CPU backend's bytes, so they are one device's bytes.
#pragma once

#include <memory>
#include <vector>

#include "kmlut/palettize.hpp"

namespace kmlut {

struct DeviceBackend {
  int device = 0;  // for messages: an error names the device it came from
  std::unique_ptr<Backend> backend;
};

// The share of each request (same order as `requests`): an index into the N devices.
std::vector<int> share_by_cost(const std::vector<PalettizeRequest>& requests, int devices);

// Throws ConfigError when `backends` is empty. An error of one device's run is rethrown with the
// same kmlut error type and "device D: " before its message, after every device has stopped.
std::unique_ptr<Backend> make_multi_device_backend(std::vector<DeviceBackend> backends);

}  // namespace kmlut
