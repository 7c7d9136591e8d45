// The Cta policy of kmlut/numeric/kmeans1d_dp.hpp for one block of the grid (a CUDA thread block,
// or the CPU grid executor's threads): its threads are the lanes, the block barrier is sync, and
// the leftmost minimum is a fixed-order block reduction (block_collectives.hpp). (value, column)
// pairs are totally ordered by value then column, so any fixed order gives the answer of a
// sequential scan over the lanes.
#pragma once

#include "kernels/grid/block_collectives.hpp"
#include "kmlut/numeric/host_device.hpp"
#include "kmlut/numeric/kmeans1d_dp.hpp"

namespace kmlut::cuda {

using numeric::dp::Candidate;

struct LeftmostSmaller {
  KMLUT_HD Candidate operator()(const Candidate& a, const Candidate& b) const {
    return numeric::dp::precedes(b, a) ? b : a;
  }
};

// The block's shared scratch of a GridCta.
template <unsigned kThreads>
struct CtaShared {
  ReduceScratch<kThreads, Candidate> minimum;
  Candidate candidates[kThreads];
};

template <unsigned kThreads, class Thread>
class GridCta {
 public:
  using Index = numeric::dp::Index;

  KMLUT_HD GridCta(const Thread& at, CtaShared<kThreads>& shared) : at_(at), shared_(shared) {}

  KMLUT_HD Index rank() const { return at_.thread(); }
  KMLUT_HD Index size() const { return kThreads; }
  KMLUT_HD bool is_leader() const { return at_.thread() == 0; }
  KMLUT_HD void sync() { at_.sync(); }

  // Every lane's leftmost minimum in, the overall one out: the smallest value, and among equal
  // values the smallest column (a lane without columns passes the largest Index).
  KMLUT_HD Index leftmost_min(double value, Index column) {
    return block_reduce<kThreads>(at_, Candidate{value, column}, LeftmostSmaller{}, shared_.minimum)
        .column;
  }
  KMLUT_HD Candidate* candidates() { return shared_.candidates; }

 private:
  const Thread& at_;
  CtaShared<kThreads>& shared_;
};

}  // namespace kmlut::cuda
