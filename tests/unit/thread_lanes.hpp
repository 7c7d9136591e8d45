// A Cta policy (kmlut/numeric/kmeans1d_dp.hpp) made of CPU threads that meet at barriers, as a
// CUDA thread block's threads do: the unit tests run the DP on several lanes with it and compare
// against one lane.
#pragma once

#include <thread>
#include <vector>

#include "kmlut/numeric/kmeans1d_dp.hpp"
#include "tests/support/cpu_grid.hpp"

namespace kmlut::test {

using numeric::dp::Index;
using testing_support::Barrier;

// A Cta of `size` CPU threads, with a runtime lane count (kernels/grid/grid_cta.hpp's GridCta fixes
// its lane count at compile time).
struct SharedLanes {
  explicit SharedLanes(unsigned size)
      : barrier(size), values(size), columns(size), candidates(size) {}
  Barrier barrier;
  std::vector<double> values;
  std::vector<Index> columns;
  std::vector<numeric::dp::Candidate> candidates;
  Index result = 0;
};

class ThreadLane {
 public:
  ThreadLane(SharedLanes& shared, Index rank) : shared_(shared), rank_(rank) {}
  Index rank() const { return rank_; }
  Index size() const { return static_cast<Index>(shared_.values.size()); }
  bool is_leader() const { return rank_ == 0; }
  void sync() { shared_.barrier.arrive_and_wait(); }
  Index leftmost_min(double value, Index column) {
    shared_.values[rank_] = value;
    shared_.columns[rank_] = column;
    sync();
    if (is_leader()) {
      double best = shared_.values[0];
      Index best_column = shared_.columns[0];
      for (Index lane = 1; lane < size(); ++lane) {
        if (shared_.values[lane] < best ||
            (shared_.values[lane] == best && shared_.columns[lane] < best_column)) {
          best = shared_.values[lane];
          best_column = shared_.columns[lane];
        }
      }
      shared_.result = best_column;
    }
    sync();
    return shared_.result;
  }
  numeric::dp::Candidate* candidates() { return shared_.candidates.data(); }

 private:
  SharedLanes& shared_;
  Index rank_;
};

// Runs solve(lane) on `lanes` threads, each with its ThreadLane, and waits for all of them.
template <class Solve>
void run_on_threads(unsigned lanes, Solve solve) {
  SharedLanes shared(lanes);
  std::vector<std::thread> threads;
  for (Index rank = 0; rank < lanes; ++rank) {
    threads.emplace_back([&shared, rank, &solve] {
      ThreadLane lane(shared, rank);
      solve(lane);
    });
  }
  for (std::thread& thread : threads)
    thread.join();
}

}  // namespace kmlut::test
