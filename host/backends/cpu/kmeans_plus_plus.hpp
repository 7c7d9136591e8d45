// k-means++ seeding (Arthur & Vassilvitskii), greedy variant: each new centre is the best of
// 2 + ln k candidates drawn with probability ∝ weight · D² (D = distance to the nearest chosen
// centre). Large inputs are seeded from a uniform subsample: the seeding costs k passes over its
// points, and a few dozen points per centre already place the centres as well as all of them do
// for the Lloyd iterations that follow.
#pragma once

#include <cstddef>
#include <vector>

#include "host/backends/cpu/random_stream.hpp"
#include "host/backends/cpu/vector_points.hpp"

namespace kmlut::cpu {

// At most this many points (or 32 per centre, if more) take part in seeding.
inline constexpr std::size_t kSeedingSampleMin = 16384;

// k centres (k rows of d floats) chosen among the points.
std::vector<float> kmeans_plus_plus(const VectorPoints& points, std::size_t k,
                                    RandomStream& random);

}  // namespace kmlut::cpu
