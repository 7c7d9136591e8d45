// The CPU backend's names for the shared random stream (kmlut/numeric/random_stream.hpp), which
// the CUDA backend's k-means++ draws from as well.
#pragma once

#include "kmlut/numeric/random_stream.hpp"

namespace kmlut::cpu {

using numeric::derive_seed;
using numeric::RandomStream;
using numeric::splitmix64;

}  // namespace kmlut::cpu
