// The weighted prefix sums of cluster_cost.hpp (fill_prefix_sums) on the lanes of a Cta policy
// (kmeans1d_dp.hpp), bit for bit the sequential ones.
//
// A sequential sum rounds after every addition, so a split sum can equal it only where no addition
// rounds. That is certain when every term is a multiple of 2^q (q the lowest set bit over the
// terms) and their magnitudes add up below 2^(53+q): every partial sum, in any order, is then a
// multiple of 2^q below 2^(53+q), which a double holds exactly, so the sequential sums are the
// exact ones too. The lanes check this per array (Σ w always passes for histogram counts, Σ w·x and
// Σ w·x² often do on small blocks of fp16 values) and sum the arrays that pass in chunks, each
// lane adding the totals of the chunks before its own; the leader sums the others in order, as
// fill_prefix_sums does.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kmlut/numeric/host_device.hpp"
#include "kmlut/numeric/kmeans1d_dp.hpp"

namespace kmlut::numeric {

// The exponent of the lowest set bit of a finite non-zero double (v is a multiple of 2^that);
// a non-finite one gives kNotExact, which no certificate accepts.
constexpr int kNotExact = -100000;
KMLUT_HD inline int lowest_bit_exponent(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const int biased = static_cast<int>((bits >> 52) & 0x7FF);
  std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
  if (biased == 0x7FF)
    return kNotExact;
  if (biased != 0)
    mantissa |= std::uint64_t{1} << 52;
#ifdef __CUDA_ARCH__
  const int zeros = __ffsll(static_cast<long long>(mantissa)) - 1;
#else
  const int zeros = __builtin_ctzll(mantissa);
#endif
  return (biased == 0 ? -1074 : biased - 1075) + zeros;
}

// Term `array` of point i, as fill_prefix_sums computes it: w, w·x, w·x·x.
KMLUT_HD inline double prefix_term(const double* x, const double* w, std::size_t i, int array) {
  if (array == 0)
    return w[i];
  const double wx = w[i] * x[i];
  return array == 1 ? wx : wx * x[i];
}

// The lanes share the sums from this many points per lane on (fewer are cheap on one lane), which
// also leaves room for the scratch below.
constexpr std::size_t kPointsPerLaneToShare = 8;

// fill_prefix_sums(x, w, n, sum_w, sum_wx, sum_wxx) on the lanes of `cta`. `scratch` holds at least
// 2·(n + 1) doubles (the DP rows, unused until the layers start). Every lane calls it.
template <class Cta>
KMLUT_HD void fill_prefix_sums_on_lanes(Cta& cta, const double* x, const double* w, std::size_t n,
                                        double* sum_w, double* sum_wx, double* sum_wxx,
                                        double* scratch) {
  double* const sums[3] = {sum_w, sum_wx, sum_wxx};
  const std::size_t lanes = cta.size();
  bool exact[3] = {false, false, false};
  if (lanes > 1 && n >= kPointsPerLaneToShare * lanes) {
    const std::size_t chunk = (n + lanes - 1) / lanes;
    const std::size_t begin = cta.rank() * chunk < n ? cta.rank() * chunk : n;
    const std::size_t end = begin + chunk < n ? begin + chunk : n;
    // Per lane and array: its chunk's total, the total of the magnitudes, the lowest bit.
    double* const mine = scratch + 9 * cta.rank();
    for (int a = 0; a < 3; ++a) {
      double total = 0.0;
      double magnitude = 0.0;
      int lowest = 100000;  // above every double's: a chunk of zeros (or none) constrains nothing
      for (std::size_t i = begin; i < end; ++i) {
        const double term = prefix_term(x, w, i, a);
        total = term + total;
        sums[a][i + 1] = total;
        magnitude += term < 0.0 ? -term : term;
        if (term != 0.0) {
          const int bit = lowest_bit_exponent(term);
          lowest = bit < lowest ? bit : lowest;
        }
      }
      mine[3 * a] = total;
      mine[3 * a + 1] = magnitude;
      mine[3 * a + 2] = static_cast<double>(lowest);
    }
    cta.sync();
    for (int a = 0; a < 3; ++a) {
      double magnitude = 0.0;
      double lowest = 100000.0;
      double before = 0.0;
      for (std::size_t lane = 0; lane < lanes; ++lane) {
        const double* const theirs = scratch + 9 * lane + 3 * a;
        magnitude += theirs[1];
        lowest = theirs[2] < lowest ? theirs[2] : lowest;
        if (lane < cta.rank())
          before += theirs[0];
      }
      // Half the bound, as the magnitudes' own sum may have rounded down; no lowest bit: all zeros.
      const int q = static_cast<int>(lowest);
      exact[a] = q != kNotExact && (q > 1000 || magnitude < ::ldexp(1.0, 52 + q));
      if (exact[a]) {
        for (std::size_t i = begin; i < end; ++i)
          sums[a][i + 1] = before + sums[a][i + 1];
      }
    }
    cta.sync();
  }
  if (cta.is_leader()) {
    for (int a = 0; a < 3; ++a) {
      sums[a][0] = 0.0;
      if (exact[a])
        continue;
      for (std::size_t i = 0; i < n; ++i)
        sums[a][i + 1] = prefix_term(x, w, i, a) + sums[a][i];
    }
  }
  cta.sync();
}

}  // namespace kmlut::numeric
