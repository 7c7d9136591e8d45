// Facts about the machine a benchmark ran on, for its report.
#pragma once

#include <string>

namespace kmlut::reporting {

// The CPU's model name from /proc/cpuinfo, or "unknown CPU".
std::string cpu_model();

// The thread count a `--threads` value means: itself, or every core for 0.
unsigned resolved_threads(int threads);

// What a report's "device" says: "<backend>: <cpu model>, <n> threads".
std::string device_description(const std::string& backend, int threads);

}  // namespace kmlut::reporting
