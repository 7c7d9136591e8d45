// Progress of long work on stderr: a redrawn bar when stderr is a terminal (tensors done / total,
// GB processed, rate, ETA, current tensor), plain log lines otherwise, nothing with --quiet.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "kmlut/pipeline.hpp"

namespace kmlut::cli {

class ProgressReporter {
 public:
  explicit ProgressReporter(bool quiet);
  void update(const PipelineProgress& progress);
  // Ends the bar's line (a no-op for log lines).
  void finish();
  void log(const std::string& line);

 private:
  bool quiet_;
  bool terminal_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace kmlut::cli
