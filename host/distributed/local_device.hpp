// One GPU per rank on a multi-GPU node (docs/scaling.md, "GPUs"): rank r among the node's ranks
// uses the node's device r % device_count. The CUDA backend uses the first device it sees, so the
// choice is made by narrowing CUDA_VISIBLE_DEVICES to that one device, before any CUDA call.
#pragma once

#include <string>

namespace kmlut::distributed {

// Narrows CUDA_VISIBLE_DEVICES to device local_rank % device_count, counting the devices this
// process may see (CUDA_VISIBLE_DEVICES when set, else the driver's /proc/driver/nvidia/gpus).
// Returns the chosen device as CUDA_VISIBLE_DEVICES now names it, or "" when there is none (the
// backend then reports that it has no device).
std::string select_local_device(int local_rank);

}  // namespace kmlut::distributed
