// ExactKMeans1D against independent references: exhaustive search on tiny inputs, the kmeans1d
// solvers coremltools and coreai_opt call (tests/oracles/kmeans1d_oracle.py), scikit-learn's
// Lloyd, and its own table path on large inputs.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kmlut/exact_kmeans1d.hpp"
#include "support/oracle.hpp"

namespace {

using kmlut::ExactKMeans1D;
using kmlut::ExactKMeans1DOptions;
using kmlut::KMeans1DSolution;

constexpr ExactKMeans1DOptions kForceTable{std::numeric_limits<std::size_t>::max()};
constexpr ExactKMeans1DOptions kForceLinearMemory{0};

// ---------------------------------------------------------------------------------------------
// Data: sorted points, float32-representable like the weights of a checkpoint.

using Rng = std::mt19937_64;

template <class Draw>
std::vector<double> sorted_points(std::size_t n, Draw draw) {
  std::vector<double> x(n);
  for (double& v : x)
    v = static_cast<double>(static_cast<float>(draw()));
  std::sort(x.begin(), x.end());
  return x;
}

std::vector<double> uniform_points(std::size_t n, Rng& rng) {
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  return sorted_points(n, [&] { return d(rng); });
}

std::vector<double> heavy_tailed_points(std::size_t n, Rng& rng) {
  std::student_t_distribution<double> d(2.5);
  return sorted_points(n, [&] { return 0.02 * d(rng); });
}

std::vector<double> mixture_points(std::size_t n, Rng& rng) {
  std::normal_distribution<double> d(0.0, 1.0);
  std::uniform_int_distribution<int> component(0, 3);
  const double means[] = {-3.0, -0.5, 0.2, 4.0};
  const double spreads[] = {0.3, 0.05, 0.2, 1.0};
  return sorted_points(n, [&] {
    const int c = component(rng);
    return means[c] + spreads[c] * d(rng);
  });
}

// Gaussian values on a grid of `step`: many duplicates, and exact ties become possible.
std::vector<double> grid_points(std::size_t n, double step, Rng& rng) {
  std::normal_distribution<double> d(0.0, 1.0);
  return sorted_points(n, [&] { return step * std::round(d(rng) / step); });
}

std::vector<double> few_distinct_points(std::size_t n, int distinct, Rng& rng) {
  std::uniform_int_distribution<int> d(0, distinct - 1);
  return sorted_points(n, [&] { return 0.25 * d(rng) - 1.0; });
}

std::vector<double> integer_weights(std::size_t n, Rng& rng) {
  std::uniform_int_distribution<int> d(1, 50);
  std::vector<double> w(n);
  for (double& v : w)
    v = d(rng);
  return w;
}

std::vector<double> sensitivity_weights(std::size_t n, Rng& rng) {
  std::lognormal_distribution<double> d(0.0, 1.5);
  std::vector<double> w(n);
  for (double& v : w)
    v = d(rng);
  return w;
}

const double* data_or_null(const std::vector<double>& w) {
  return w.empty() ? nullptr : w.data();
}

// ---------------------------------------------------------------------------------------------
// Independent arithmetic: plain weighted means and squared errors.

double weight_of(const std::vector<double>& w, std::size_t i) {
  return w.empty() ? 1.0 : w[i];
}

double range_mean(const std::vector<double>& x, const std::vector<double>& w, std::size_t begin,
                  std::size_t end) {
  double sum_w = 0.0;
  double sum_wx = 0.0;
  for (std::size_t i = begin; i < end; ++i) {
    sum_w += weight_of(w, i);
    sum_wx += weight_of(w, i) * x[i];
  }
  return sum_wx / sum_w;
}

double range_sse(const std::vector<double>& x, const std::vector<double>& w, std::size_t begin,
                 std::size_t end) {
  const double mean = range_mean(x, w, begin, end);
  double sse = 0.0;
  for (std::size_t i = begin; i < end; ++i)
    sse += weight_of(w, i) * (x[i] - mean) * (x[i] - mean);
  return sse;
}

// The SSE of a labelled clustering with the given centroids.
double labelled_sse(const std::vector<double>& x, const std::vector<double>& w,
                    const std::vector<int>& labels, const std::vector<double>& centroids) {
  double sse = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = x[i] - centroids.at(labels[i]);
    sse += weight_of(w, i) * d * d;
  }
  return sse;
}

// The SSE of a labelled clustering with each cluster's own mean as its centroid.
double partition_sse(const std::vector<double>& x, const std::vector<double>& w,
                     const std::vector<int>& labels) {
  const int clusters = *std::max_element(labels.begin(), labels.end()) + 1;
  std::vector<double> sum_w(clusters, 0.0);
  std::vector<double> sum_wx(clusters, 0.0);
  for (std::size_t i = 0; i < x.size(); ++i) {
    sum_w[labels[i]] += weight_of(w, i);
    sum_wx[labels[i]] += weight_of(w, i) * x[i];
  }
  std::vector<double> means(clusters, 0.0);
  for (int c = 0; c < clusters; ++c)
    means[c] = sum_w[c] > 0 ? sum_wx[c] / sum_w[c] : 0.0;
  return labelled_sse(x, w, labels, means);
}

// Exhaustive search over every way to cut n sorted points into k contiguous clusters.
double brute_force_sse(const std::vector<double>& x, const std::vector<double>& w, int k) {
  const std::size_t n = x.size();
  const std::size_t clusters = std::min<std::size_t>(static_cast<std::size_t>(k), n);
  std::vector<std::size_t> cuts(clusters + 1);
  for (std::size_t j = 0; j < clusters; ++j)
    cuts[j] = j;
  cuts[clusters] = n;
  double best = std::numeric_limits<double>::infinity();
  while (true) {
    double sse = 0.0;
    for (std::size_t j = 0; j < clusters; ++j)
      sse += range_sse(x, w, cuts[j], cuts[j + 1]);
    best = std::min(best, sse);
    // Next combination of the inner cuts cuts[1..clusters-1] in (0, n).
    std::size_t j = clusters - 1;
    while (j >= 1 && cuts[j] == n - clusters + j)
      --j;
    if (j == 0)
      return best;
    ++cuts[j];
    for (std::size_t t = j + 1; t < clusters; ++t)
      cuts[t] = cuts[t - 1] + 1;
  }
}

bool within(double a, double b, double relative) {
  return std::abs(a - b) <= relative * std::max(std::abs(a), std::abs(b));
}

// Two SSEs agree within `relative`, or both are rounding noise: a cluster of equal values has a
// mean w·x / w that need not round back to x, so an exact zero may come out as 1e-32.
bool same_sse(double a, double b, double relative, const std::vector<double>& x,
              const std::vector<double>& w) {
  double energy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i)
    energy += weight_of(w, i) * x[i] * x[i];
  return std::abs(a - b) <= relative * std::max(a, b) + 1e-24 * energy;
}

std::vector<int> labels_of(const KMeans1DSolution& s) {
  std::vector<int> labels;
  for (std::size_t j = 0; j < s.cluster_ends.size(); ++j) {
    labels.resize(s.cluster_ends[j], static_cast<int>(j));
  }
  return labels;
}

// The structure every solution has: k_effective non-empty contiguous clusters covering every
// point, centroids that are the clusters' weighted means, and an SSE that matches them.
void expect_well_formed(const KMeans1DSolution& s, const std::vector<double>& x,
                        const std::vector<double>& w, int k) {
  const std::size_t clusters = std::min<std::size_t>(static_cast<std::size_t>(k), x.size());
  ASSERT_EQ(s.cluster_ends.size(), clusters);
  ASSERT_EQ(s.centroids.size(), clusters);
  ASSERT_EQ(s.cluster_ends.back(), x.size());
  std::size_t begin = 0;
  for (std::size_t j = 0; j < clusters; ++j) {
    ASSERT_LT(begin, s.cluster_ends[j]) << "empty cluster " << j;
    const double mean = range_mean(x, w, begin, s.cluster_ends[j]);
    EXPECT_LE(std::abs(s.centroids[j] - mean), 1e-12 * std::abs(mean) + 1e-300) << "cluster " << j;
    if (j > 0) {  // ascending as LUT entries: equal values' means may differ in the last bit
      EXPECT_LE(static_cast<float>(s.centroids[j - 1]), static_cast<float>(s.centroids[j]));
    }
    begin = s.cluster_ends[j];
  }
  EXPECT_TRUE(same_sse(s.sse, labelled_sse(x, w, labels_of(s), s.centroids), 1e-12, x, w));
}

// ---------------------------------------------------------------------------------------------
// The Python oracles.

struct OracleCase {
  std::string solver;  // "kmeans1d", "coremltools" or "sklearn"
  int k;
  std::vector<double> x;
  std::vector<double> w;  // empty: unweighted
  bool ties_possible;     // duplicates make equal-cost alternative optima possible
};

struct OracleResult {
  std::vector<double> centroids;
  std::vector<int> clusters;
};

std::string oracle_script() {
  return std::string(KMLUT_TEST_DATA_DIR) + "/../oracles/kmeans1d_oracle.py";
}

// Runs every case in one interpreter. nullopt (with `why`) when an oracle is not installed.
std::optional<std::vector<OracleResult>> run_oracle(const std::vector<OracleCase>& cases,
                                                    std::string& why) {
  nlohmann::json input = {{"cases", nlohmann::json::array()}};
  for (const OracleCase& c : cases) {
    nlohmann::json item = {{"solver", c.solver}, {"k", c.k}, {"x", c.x}};
    if (!c.w.empty())
      item["w"] = c.w;
    input["cases"].push_back(item);
  }
  static int calls = 0;
  const std::filesystem::path base =
      std::filesystem::temp_directory_path() /
      ("kmlut_kmeans1d_" + std::to_string(getpid()) + "_" + std::to_string(calls++));
  const std::string in = base.string() + ".in.json";
  const std::string out = base.string() + ".out.json";
  const std::string err = base.string() + ".err";
  std::ofstream(in) << input.dump();
  const std::string command =
      std::string(KMLUT_PYTHON) + " " + oracle_script() + " " + in + " " + out + " 2>" + err;
  const int status = std::system(command.c_str());
  std::ifstream err_stream(err);
  why.assign(std::istreambuf_iterator<char>(err_stream), {});
  std::optional<std::vector<OracleResult>> results;
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    const nlohmann::json output = nlohmann::json::parse(std::ifstream(out));
    results.emplace();
    for (const auto& r : output.at("results")) {
      results->push_back(
          {r.at("centroids").get<std::vector<double>>(), r.at("clusters").get<std::vector<int>>()});
    }
  } else if (!(WIFEXITED(status) && (WEXITSTATUS(status) == 3 || WEXITSTATUS(status) == 127))) {
    ADD_FAILURE() << "oracle failed: " << command << "\n" << why;
  }
  for (const std::string& path : {in, out, err})
    std::filesystem::remove(path);
  return results;
}

bool weighted_duplicates(const std::vector<double>& x, const std::vector<double>& w) {
  for (std::size_t i = 1; i < w.size(); ++i) {
    if (x[i] == x[i - 1] && w[i] != w[i - 1])
      return true;
  }
  return false;
}

// SSE within 1e-9 of the reference; LUT entries (centroids cast to float32) identical unless
// duplicates allow an equal-cost alternative, and then the reference's partition must be one.
void expect_matches_reference(const OracleCase& c, const OracleResult& reference) {
  SCOPED_TRACE(c.solver + " k=" + std::to_string(c.k) + " n=" + std::to_string(c.x.size()));
  ExactKMeans1D solver;
  const KMeans1DSolution ours = solver.solve(c.x.data(), data_or_null(c.w), c.x.size(), c.k);
  expect_well_formed(ours, c.x, c.w, c.k);
  const double reference_sse = labelled_sse(c.x, c.w, reference.clusters, reference.centroids);
  EXPECT_TRUE(same_sse(ours.sse, reference_sse, 1e-9, c.x, c.w))
      << "ours " << ours.sse << ", reference " << reference_sse;
  ASSERT_EQ(reference.centroids.size(), ours.centroids.size());
  if (labels_of(ours) == reference.clusters) {
    // The same running-mean formula over the same points: bit-identical, not merely close. Not
    // when equal values carry different weights: kmeans1d's unstable sort permutes them, and with
    // them the rounding of its running mean.
    if (!weighted_duplicates(c.x, c.w)) {
      EXPECT_EQ(ours.centroids, reference.centroids);
    }
    return;
  }
  bool same_lut = true;
  for (std::size_t j = 0; j < ours.centroids.size(); ++j) {
    same_lut &= static_cast<float>(ours.centroids[j]) == static_cast<float>(reference.centroids[j]);
  }
  if (same_lut)
    return;
  EXPECT_TRUE(c.ties_possible) << "LUTs differ on data without ties";
  const double alternative = partition_sse(c.x, c.w, reference.clusters);
  EXPECT_TRUE(same_sse(alternative, ours.sse, 1e-12, c.x, c.w))
      << "the reference's partition is not an equal-cost optimum: " << alternative << " vs "
      << ours.sse;
}

// The datasets of the parity tests, for one solver, weighted or not.
std::vector<OracleCase> parity_cases(const std::string& solver, bool weighted) {
  Rng rng(weighted ? 7 : 3);
  std::vector<OracleCase> cases;
  auto add = [&](std::vector<double> x, std::initializer_list<int> ks, bool ties) {
    std::vector<double> w;
    if (weighted)
      w = cases.size() % 2 ? sensitivity_weights(x.size(), rng) : integer_weights(x.size(), rng);
    for (int k : ks)
      cases.push_back({solver, k, x, w, ties});
  };
  add(uniform_points(3000, rng), {2, 4, 8, 16, 64, 256}, false);
  add(heavy_tailed_points(5000, rng), {4, 16, 256}, false);
  add(mixture_points(4000, rng), {2, 8, 64}, false);
  add(grid_points(5000, 0.05, rng), {16, 64}, true);
  add(few_distinct_points(600, 12, rng), {8, 16, 64}, true);
  add(std::vector<double>(50, 0.375), {1, 4}, true);
  add(few_distinct_points(100, 2, rng), {2, 8}, true);
  add(uniform_points(7, rng), {7, 16}, false);
  return cases;
}

void check_parity(const std::string& solver, bool weighted) {
  const std::vector<OracleCase> cases = parity_cases(solver, weighted);
  std::string why;
  const auto results = run_oracle(cases, why);
  if (!results)
    KMLUT_ORACLE_UNAVAILABLE(solver + " is not available to " KMLUT_PYTHON ": " + why);
  ASSERT_EQ(results->size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i)
    expect_matches_reference(cases[i], (*results)[i]);
}

// Exact ties everywhere: equally spaced points (mirror images of a partition cost the same) with
// unit or small integer weights. Here equal cost is not enough: the LUT depends on which optimum
// the ties select, so our partition must be kmeans1d's and the centroids its bits.
void check_tie_parity(const std::string& solver, bool weighted) {
  Rng rng(weighted ? 17 : 16);
  std::uniform_int_distribution<int> small_weight(1, 3);
  std::vector<OracleCase> cases;
  for (const int n : {5, 12, 40, 101, 300}) {
    for (const double step : {1.0, 0.125}) {
      std::vector<double> x;
      std::vector<double> w;
      for (int i = 0; i < n; ++i) {
        x.push_back(step * (2 * i - n));
        if (weighted)
          w.push_back(small_weight(rng));
      }
      for (const int k : {2, 3, 4, 7, 16, 64, 256}) {
        if (k < n)
          cases.push_back({solver, k, x, w, true});
      }
    }
  }
  std::string why;
  const auto results = run_oracle(cases, why);
  if (!results)
    KMLUT_ORACLE_UNAVAILABLE(solver + " is not available to " KMLUT_PYTHON ": " + why);
  ASSERT_EQ(results->size(), cases.size());
  ExactKMeans1D ours_solver;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const OracleCase& c = cases[i];
    const KMeans1DSolution ours = ours_solver.solve(c.x.data(), data_or_null(c.w), c.x.size(), c.k);
    EXPECT_EQ(labels_of(ours), (*results)[i].clusters)
        << "k=" << c.k << " n=" << c.x.size() << " step " << c.x[1] - c.x[0];
    EXPECT_EQ(ours.centroids, (*results)[i].centroids) << "k=" << c.k << " n=" << c.x.size();
  }
}

// ---------------------------------------------------------------------------------------------

TEST(ExactKMeans1D, MatchesExhaustiveSearchOnTinyInputs) {
  Rng rng(1);
  std::uniform_int_distribution<int> size(1, 12);
  std::uniform_int_distribution<int> clusters(1, 5);
  ExactKMeans1D table(kForceTable);
  ExactKMeans1D linear(kForceLinearMemory);
  for (int trial = 0; trial < 1500; ++trial) {
    const std::size_t n = static_cast<std::size_t>(size(rng));
    const int k = clusters(rng);
    const std::vector<double> x =
        trial % 3 == 0 ? few_distinct_points(n, 4, rng) : uniform_points(n, rng);
    const std::vector<double> w = trial % 2 ? sensitivity_weights(n, rng) : std::vector<double>{};
    const double expected = brute_force_sse(x, w, k);
    for (ExactKMeans1D* solver : {&table, &linear}) {
      const KMeans1DSolution s = solver->solve(x.data(), data_or_null(w), n, k);
      SCOPED_TRACE("trial " + std::to_string(trial) + " n=" + std::to_string(n) +
                   " k=" + std::to_string(k));
      expect_well_formed(s, x, w, k);
      ASSERT_TRUE(same_sse(s.sse, expected, 1e-12, x, w)) << s.sse << " vs exhaustive " << expected;
    }
  }
}

TEST(ExactKMeans1D, LinearMemoryRecoveryFindsTheTablePartition) {
  Rng rng(2);
  const std::vector<double> x = mixture_points(3000, rng);
  const std::vector<double> w = sensitivity_weights(x.size(), rng);
  ExactKMeans1D table(kForceTable);
  ExactKMeans1D linear(kForceLinearMemory);
  for (int k : {2, 3, 5, 16, 100, 1000}) {
    for (const double* weights : {static_cast<const double*>(nullptr), w.data()}) {
      const KMeans1DSolution a = table.solve(x.data(), weights, x.size(), k);
      const KMeans1DSolution b = linear.solve(x.data(), weights, x.size(), k);
      EXPECT_EQ(a.cluster_ends, b.cluster_ends) << "k=" << k;
      EXPECT_EQ(a.sse, b.sse) << "k=" << k;
    }
  }
}

TEST(ExactKMeans1D, MatchesPypiKmeans1dUnweighted) {
  check_parity("kmeans1d", false);
}

TEST(ExactKMeans1D, MatchesCoremltoolsBundledKmeans1dWeighted) {
  check_parity("coremltools", true);
}

TEST(ExactKMeans1D, BreaksExactTiesAsPypiKmeans1dDoes) {
  check_tie_parity("kmeans1d", false);
}

TEST(ExactKMeans1D, BreaksExactTiesAsCoremltoolsBundledKmeans1dDoes) {
  check_tie_parity("coremltools", true);
}

TEST(ExactKMeans1D, NeverWorseThanScikitLearnLloyd) {
  Rng rng(4);
  std::vector<OracleCase> cases = {
      {"sklearn", 8, uniform_points(2000, rng), {}, false},
      {"sklearn", 16, heavy_tailed_points(2000, rng), {}, false},
      {"sklearn", 5, mixture_points(2000, rng), {}, false},
  };
  cases.push_back({"sklearn", 16, mixture_points(1500, rng), {}, false});
  cases.back().w = sensitivity_weights(cases.back().x.size(), rng);
  std::string why;
  const auto results = run_oracle(cases, why);
  if (!results)
    KMLUT_ORACLE_UNAVAILABLE("scikit-learn is not available to " KMLUT_PYTHON ": " + why);
  ExactKMeans1D solver;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const OracleCase& c = cases[i];
    const KMeans1DSolution ours = solver.solve(c.x.data(), data_or_null(c.w), c.x.size(), c.k);
    const double lloyd = labelled_sse(c.x, c.w, (*results)[i].clusters, (*results)[i].centroids);
    EXPECT_LE(ours.sse, lloyd * (1 + 1e-12)) << "case " << i;
  }
}

// A million distinct points: the Hirschberg recursion at depth against a one-pass backtrack.
TEST(ExactKMeans1D, MillionDistinctPointsLinearMemoryMatchesTable) {
  Rng rng(5);
  const std::vector<double> x = heavy_tailed_points(1'000'000, rng);
  const KMeans1DSolution table = ExactKMeans1D(kForceTable).solve(x.data(), nullptr, x.size(), 8);
  const KMeans1DSolution linear =
      ExactKMeans1D(kForceLinearMemory).solve(x.data(), nullptr, x.size(), 8);
  EXPECT_TRUE(within(linear.sse, table.sse, 1e-9)) << linear.sse << " vs " << table.sse;
  EXPECT_EQ(linear.cluster_ends, table.cluster_ends);
}

// A million bfloat16 values (a bf16 tensor on the all-values path) with k = 256: at most a few
// thousand distinct values, which the solver clusters as weighted runs.
TEST(ExactKMeans1D, MillionBfloat16ValuesLinearMemoryMatchesTable) {
  Rng rng(6);
  std::normal_distribution<double> d(0.0, 0.02);
  std::vector<double> x = sorted_points(1'000'000, [&] {
    const float value = static_cast<float>(d(rng));
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;  // round to nearest even bf16
    float rounded;
    std::memcpy(&rounded, &bits, sizeof rounded);
    return rounded;
  });
  const KMeans1DSolution table = ExactKMeans1D(kForceTable).solve(x.data(), nullptr, x.size(), 256);
  const KMeans1DSolution linear =
      ExactKMeans1D(kForceLinearMemory).solve(x.data(), nullptr, x.size(), 256);
  EXPECT_TRUE(within(linear.sse, table.sse, 1e-9)) << linear.sse << " vs " << table.sse;
  EXPECT_EQ(linear.centroids, table.centroids);
  expect_well_formed(linear, x, {}, 256);
}

// Runs of equal values are clustered as weighted points; integer weights must mean repetition.
TEST(ExactKMeans1D, IntegerWeightsEqualRepeatedPoints) {
  Rng rng(8);
  const std::vector<double> values = mixture_points(400, rng);
  const std::vector<double> counts = integer_weights(values.size(), rng);
  std::vector<double> repeated;
  for (std::size_t i = 0; i < values.size(); ++i)
    repeated.resize(repeated.size() + static_cast<std::size_t>(counts[i]), values[i]);
  ExactKMeans1D solver;
  for (int k : {3, 16, 64}) {
    const KMeans1DSolution weighted = solver.solve(values.data(), counts.data(), values.size(), k);
    const KMeans1DSolution expanded = solver.solve(repeated.data(), nullptr, repeated.size(), k);
    EXPECT_TRUE(within(weighted.sse, expanded.sse, 1e-12)) << "k=" << k;
    ASSERT_EQ(weighted.centroids.size(), expanded.centroids.size());
    for (std::size_t j = 0; j < weighted.centroids.size(); ++j) {
      EXPECT_TRUE(within(weighted.centroids[j], expanded.centroids[j], 1e-12)) << "k=" << k;
    }
  }
}

TEST(ExactKMeans1D, ReusedSolverGivesFreshResults) {
  Rng rng(9);
  const std::vector<double> large = uniform_points(20000, rng);
  const std::vector<double> small = heavy_tailed_points(300, rng);
  ExactKMeans1D reused;
  reused.solve(large.data(), nullptr, large.size(), 64);
  const KMeans1DSolution again = reused.solve(small.data(), nullptr, small.size(), 16);
  const KMeans1DSolution fresh = ExactKMeans1D().solve(small.data(), nullptr, small.size(), 16);
  EXPECT_EQ(again.cluster_ends, fresh.cluster_ends);
  EXPECT_EQ(again.centroids, fresh.centroids);
  EXPECT_EQ(again.sse, fresh.sse);
}

TEST(ExactKMeans1D, OneClusterIsTheWeightedMean) {
  const std::vector<double> x = {-1.0, 0.5, 2.0, 2.0, 7.25};
  const std::vector<double> w = {1.0, 2.0, 0.5, 0.5, 4.0};
  const KMeans1DSolution s = ExactKMeans1D().solve(x.data(), w.data(), x.size(), 1);
  EXPECT_EQ(s.cluster_ends, std::vector<std::size_t>{5});
  EXPECT_DOUBLE_EQ(s.centroids[0], (-1.0 + 1.0 + 1.0 + 1.0 + 29.0) / 8.0);
  EXPECT_DOUBLE_EQ(s.sse, range_sse(x, w, 0, 5));
}

TEST(ExactKMeans1D, AtLeastAsManyClustersAsPointsGivesOnePointEach) {
  const std::vector<double> x = {-2.0, -2.0, 0.0, 1.5, 1.5, 1.5, 3.0};
  for (int k : {7, 8, 300}) {
    const KMeans1DSolution s = ExactKMeans1D().solve(x.data(), nullptr, x.size(), k);
    EXPECT_EQ(s.cluster_ends, (std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(s.centroids, x);
    EXPECT_EQ(s.sse, 0.0);
  }
}

// More clusters than distinct values: every value keeps clusters of its own, the extra ones split
// runs at their leftmost positions, and no cluster is left empty (kmeans1d returns empty clusters
// with centroid 0 here).
TEST(ExactKMeans1D, MoreClustersThanDistinctValuesSplitsRunsLeftmost) {
  const std::vector<double> x = {1.0, 1.0, 1.0, 2.0, 2.0, 2.0};
  const KMeans1DSolution s = ExactKMeans1D().solve(x.data(), nullptr, x.size(), 4);
  EXPECT_EQ(s.cluster_ends, (std::vector<std::size_t>{1, 2, 3, 6}));
  EXPECT_EQ(s.centroids, (std::vector<double>{1.0, 1.0, 1.0, 2.0}));
  EXPECT_EQ(s.sse, 0.0);
}

TEST(ExactKMeans1D, SinglePointAndConstantInput) {
  const double one = -3.5;
  const KMeans1DSolution s = ExactKMeans1D().solve(&one, nullptr, 1, 16);
  EXPECT_EQ(s.cluster_ends, std::vector<std::size_t>{1});
  EXPECT_EQ(s.centroids, std::vector<double>{-3.5});
  EXPECT_EQ(s.sse, 0.0);
  const std::vector<double> same(1000, 0.1);
  const KMeans1DSolution c = ExactKMeans1D().solve(same.data(), nullptr, same.size(), 2);
  EXPECT_EQ(c.cluster_ends, (std::vector<std::size_t>{1, 1000}));
  EXPECT_EQ(c.centroids, (std::vector<double>{0.1, 0.1}));
  EXPECT_EQ(c.sse, 0.0);
}

TEST(ExactKMeans1D, TwoValuesTwoClusters) {
  const std::vector<double> x = {-0.5, -0.5, -0.5, 0.75, 0.75};
  const std::vector<double> w = {1.0, 3.0, 1.0, 0.25, 0.25};
  const KMeans1DSolution s = ExactKMeans1D().solve(x.data(), w.data(), x.size(), 2);
  EXPECT_EQ(s.cluster_ends, (std::vector<std::size_t>{3, 5}));
  EXPECT_EQ(s.centroids, (std::vector<double>{-0.5, 0.75}));
  EXPECT_EQ(s.sse, 0.0);
}

TEST(ExactKMeans1D, RejectsInvalidInput) {
  ExactKMeans1D solver;
  const std::vector<double> x = {0.0, 1.0, 2.0};
  const std::vector<double> w = {1.0, 1.0, 1.0};
  EXPECT_THROW(solver.solve(x.data(), nullptr, 3, 0), std::invalid_argument);
  EXPECT_THROW(solver.solve(x.data(), nullptr, 3, -2), std::invalid_argument);
  EXPECT_THROW(solver.solve(x.data(), nullptr, 0, 2), std::invalid_argument);
  const std::vector<double> unsorted = {0.0, 2.0, 1.0};
  EXPECT_THROW(solver.solve(unsorted.data(), nullptr, 3, 2), std::invalid_argument);
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    const std::vector<double> with_bad = {0.0, 1.0, bad};
    EXPECT_THROW(solver.solve(with_bad.data(), nullptr, 3, 2), std::invalid_argument);
  }
  for (double bad : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    std::vector<double> bad_w = w;
    bad_w[1] = bad;
    EXPECT_THROW(solver.solve(x.data(), bad_w.data(), 3, 2), std::invalid_argument);
  }
}

}  // namespace
