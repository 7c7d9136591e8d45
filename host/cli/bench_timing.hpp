// How `kmlut bench` times a case: warm-up runs, then measured runs, each bracketed by a region
// timer. The CPU timer reads the monotonic clock on the host. A GPU backend plugs in its own timer
// (CUDA events recorded on its stream, so only device time between the two events counts) and
// uses the run index it is given to rotate among device-resident copies of the inputs, so that no
// run finds its input already in the cache.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kmlut::cli {

class RegionTimer {
 public:
  virtual ~RegionTimer() = default;
  // What the timer measures, for the report ("host monotonic clock", "CUDA events").
  virtual std::string description() const = 0;
  virtual void start() = 0;
  // Seconds since start().
  virtual double stop() = 0;
};

// The timer for a backend by its name: the host's monotonic clock for "cpu". Throws Error for a
// backend that has no timer yet.
std::unique_ptr<RegionTimer> make_region_timer(const std::string& backend_name);

struct RepeatPolicy {
  int warmup = 1;
  int repeat = 5;
  // Stop once the measured runs add up to this many seconds (at least one run is measured), so
  // that a slow case does not hold a whole sweep up; 0 = no limit.
  double budget_seconds = 0;
};

struct RunSeries {
  std::vector<double> seconds;  // the measured runs, in order
  double median() const;
  double min() const;
};

// Calls run(index) policy.warmup times untimed, then measures it up to policy.repeat times.
// `index` counts every call, warm-ups included.
RunSeries measure_runs(RegionTimer& timer, const RepeatPolicy& policy,
                       const std::function<void(int index)>& run);

}  // namespace kmlut::cli
