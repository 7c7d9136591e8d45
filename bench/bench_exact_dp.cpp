// The exact 1-D k-means solver alone (ExactKMeans1D::solve) on an (n, k) grid: weighted distinct
// points as a block's histogram gives them (n <= 65,536) and a million unweighted fp32 values as
// the all-values path gives them. A timing main, not a test: it prints the best of a few runs per
// case and the partition's SSE, so two builds can be compared on the same points.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <vector>

#include "kmlut/exact_kmeans1d.hpp"

namespace {

struct Points {
  std::vector<double> x;
  std::vector<double> w;  // empty: unweighted
};

// n distinct float32 values of a Gaussian, each weighted by a histogram-like count.
Points distinct_weighted(std::size_t n, std::mt19937_64& random) {
  std::normal_distribution<float> gauss(0.0f, 0.02f);
  std::set<float> values;
  while (values.size() < n)
    values.insert(gauss(random));
  Points points;
  std::uniform_int_distribution<int> count(1, 200);
  for (const float value : values) {
    points.x.push_back(value);
    points.w.push_back(count(random));
  }
  return points;
}

// n float32 Gaussian values, sorted, mostly distinct: the all-values path.
Points all_values(std::size_t n, std::mt19937_64& random) {
  std::normal_distribution<float> gauss(0.0f, 0.02f);
  Points points;
  points.x.resize(n);
  for (double& value : points.x)
    value = gauss(random);
  std::sort(points.x.begin(), points.x.end());
  return points;
}

double best_seconds(kmlut::ExactKMeans1D& solver, const Points& points, int k, int repeats,
                    double& sse) {
  kmlut::KMeans1DSolution solution;
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    solver.solve(points.x.data(), points.w.empty() ? nullptr : points.w.data(), points.x.size(), k,
                 solution);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }
  sse = solution.sse;
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  // Optional argument: the largest n to run (the million-point cases take seconds each).
  const std::size_t max_n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  std::mt19937_64 random(13);
  kmlut::ExactKMeans1D solver;
  std::printf(
      "| n | path | k | solve | ns per (point, layer) | SSE |\n|---:|---|---:|---:|---:|---|\n");
  for (const std::size_t n : {16, 256, 4096, 65536, 1000000}) {
    if (n > max_n)
      break;
    const bool all = n == 1000000;
    const Points points = all ? all_values(n, random) : distinct_weighted(n, random);
    for (const int k : {8, 16, 64, 256}) {
      // Enough repeats for about 0.2 s per case, at least one.
      const int repeats =
          static_cast<int>(std::clamp(2e6 / (static_cast<double>(n) * k), 1.0, 20000.0));
      double sse = 0.0;
      const double seconds = best_seconds(solver, points, k, repeats, sse);
      std::printf(
          "| %zu | %s | %d | %.3g ms | %.1f | %.17g |\n", n,
          all ? "all-values" : "distinct, weighted", k, seconds * 1e3,
          seconds * 1e9 /
              (static_cast<double>(n) * std::min(static_cast<double>(k), static_cast<double>(n))),
          sse);
    }
  }
  return 0;
}
