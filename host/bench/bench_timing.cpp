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

double RunSeries::median() const {
  if (seconds.empty())
    return 0.0;
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t middle = sorted.size() / 2;
  return sorted.size() % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
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
    spent += series.seconds.back();
    if (policy.budget_seconds > 0 && spent >= policy.budget_seconds)
      break;
  }
  return series;
}

}  // namespace kmlut::bench
