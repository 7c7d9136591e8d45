#include "host/bench/bench_timing.hpp"

#include <algorithm>
#include <chrono>

namespace kmlut::bench {
namespace {

class MonotonicTimer final : public RegionTimer {
 public:
  std::string description() const override { return "host monotonic clock (steady_clock)"; }
  void start() override { started_ = std::chrono::steady_clock::now(); }
  double stop() override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

 private:
  std::chrono::steady_clock::time_point started_;
};

}  // namespace

std::unique_ptr<RegionTimer> make_monotonic_timer() {
  return std::make_unique<MonotonicTimer>();
}

namespace {

double median_of(std::vector<double> values) {
  if (values.empty())
    return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

}  // namespace

double RunSeries::median() const {
  return median_of(seconds);
}

std::vector<PhaseTime> RunSeries::median_phases() const {
  std::vector<PhaseTime> medians;
  if (phases.empty())
    return medians;
  for (const PhaseTime& phase : phases.front()) {
    std::vector<double> values;
    for (const std::vector<PhaseTime>& run : phases) {
      for (const PhaseTime& time : run) {
        if (time.name == phase.name)
          values.push_back(time.seconds);
      }
    }
    medians.push_back({phase.name, median_of(values)});
  }
  return medians;
}

double RunSeries::min() const {
  return seconds.empty() ? 0.0 : *std::min_element(seconds.begin(), seconds.end());
}

RunSeries measure_runs(RegionTimer& timer, const RepeatPolicy& policy,
                       const std::function<void(int index)>& run) {
  int index = 0;
  for (int i = 0; i < policy.warmup; ++i)
    run(index++);
  RunSeries series;
  double spent = 0.0;
  for (int i = 0; i < std::max(1, policy.repeat); ++i) {
    timer.start();
    run(index++);
    series.seconds.push_back(timer.stop());
    series.phases.push_back(timer.last_phases());
    spent += series.seconds.back();
    if (policy.budget_seconds > 0 && spent >= policy.budget_seconds)
      break;
  }
  return series;
}

}  // namespace kmlut::bench
