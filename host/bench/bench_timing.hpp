// How `kmlut bench` times a case: warm-up runs, then measured runs, each bracketed by a region
// timer. The host timer reads the monotonic clock; a GPU backend's timer reports device time from
// CUDA events instead (bench_backend.hpp). The run index lets a runner vary its inputs from run to
// run (for instance rotate among device-resident copies) so that no run finds them cached.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kmlut::bench {

// Time a region spent in one phase of a backend's work (a GPU timer's kernels, say).
struct PhaseTime {
  std::string name;
  double seconds = 0;
};

class RegionTimer {
 public:
  virtual ~RegionTimer() = default;
  // What the timer measures, for the report ("host monotonic clock", "CUDA events").
  virtual std::string description() const = 0;
  virtual void start() = 0;
  // Seconds since start().
  virtual double stop() = 0;
  // What timed the last region, when a timer can fall back to another clock.
  virtual std::string last_source() const { return description(); }
  // The last region's time per phase, when the timer can tell; empty otherwise.
  virtual std::vector<PhaseTime> last_phases() const { return {}; }
};

// The host's monotonic clock (steady_clock).
std::unique_ptr<RegionTimer> make_monotonic_timer();

struct RepeatPolicy {
  int warmup = 1;
  int repeat = 5;
  // Stop once the measured runs add up to this many seconds (at least one run is measured), so
  // that a slow case does not hold a whole sweep up; 0 = no limit.
  double budget_seconds = 0;
};

struct RunSeries {
  std::vector<double> seconds;                 // the measured runs, in order
  std::vector<std::vector<PhaseTime>> phases;  // per measured run, when the timer tells
  double median() const;
  // Per phase (in the first run's order), the median over the runs that report it.
  std::vector<PhaseTime> median_phases() const;
  double min() const;
};

// Calls run(index) policy.warmup times untimed, then measures it up to policy.repeat times.
// `index` counts every call, warm-ups included.
RunSeries measure_runs(RegionTimer& timer, const RepeatPolicy& policy,
                       const std::function<void(int index)>& run);

}  // namespace kmlut::bench
