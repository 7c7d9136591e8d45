// The Cta policy of kmlut/numeric/kmeans1d_dp.hpp for a CUDA thread block: its threads are the
// lanes, __syncthreads the barrier, and the leftmost-minimum reduction goes through shared
// memory in thread order, so its result does not depend on timing.
#pragma once

#include "kmlut/numeric/kmeans1d_dp.hpp"

namespace kmlut::cuda {

template <unsigned kThreads>
class BlockCta {
 public:
  struct Shared {
    double values[kThreads];
    numeric::dp::Index columns[kThreads];
    numeric::dp::Index result;
  };

  __device__ explicit BlockCta(Shared& shared) : shared_(shared) {}

  __device__ numeric::dp::Index rank() const { return threadIdx.x; }
  __device__ numeric::dp::Index size() const { return kThreads; }
  __device__ bool is_leader() const { return threadIdx.x == 0; }
  __device__ void sync() { __syncthreads(); }

  // Every lane's leftmost minimum in, the overall one out: the smallest value, and among equal
  // values the smallest column (a lane without columns passes the largest Index).
  __device__ numeric::dp::Index leftmost_min(double value, numeric::dp::Index column) {
    shared_.values[threadIdx.x] = value;
    shared_.columns[threadIdx.x] = column;
    __syncthreads();
    if (threadIdx.x == 0) {
      double best = shared_.values[0];
      numeric::dp::Index best_column = shared_.columns[0];
      for (unsigned lane = 1; lane < kThreads; ++lane) {
        const double candidate = shared_.values[lane];
        const numeric::dp::Index candidate_column = shared_.columns[lane];
        if (candidate < best || (candidate == best && candidate_column < best_column)) {
          best = candidate;
          best_column = candidate_column;
        }
      }
      shared_.result = best_column;
    }
    __syncthreads();
    return shared_.result;
  }

 private:
  Shared& shared_;
};

}  // namespace kmlut::cuda
