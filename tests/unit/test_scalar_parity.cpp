// Parity with coreai_opt: tests/oracles/coreai_numpy_reenactment.py re-enacts its scalar
// palettization with numpy and the weighted kmeans1d coremltools bundles; on heavy-tailed,
// clustered, duplicated, nearly constant and two-valued data, for every n_bits, both paths and each
// granularity, the CPU backend must give the same LUTs, the same indices and the same SSE.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "kmlut/palettize.hpp"
#include "support/npy.hpp"
#include "support/oracle.hpp"
#include "unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using testing_support::Data;
using testing_support::element_value;
using testing_support::generate;
using testing_support::make_tensor;
using testing_support::OwnedTensor;

void write_npy(const std::string& path, const OwnedTensor& tensor) {
  testing_support::write_npy(path, tensor.dtype == DType::F16 ? "<f2" : "<f4", tensor.shape,
                             tensor.bytes.data(), tensor.bytes.size());
}

struct ParityCase {
  OwnedTensor weight;
  OwnedTensor sensitivity;  // empty bytes: none
  PalettizeRequest request;
  std::string label;
};

// Squared-gradient-like sensitivities: heavy-tailed, non-negative, about a tenth exactly zero.
std::vector<double> sensitivities(std::size_t count, unsigned seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> pick(0, 9);
  std::vector<double> values(count);
  for (double& value : values) {
    const double g = normal(generator);
    value = pick(generator) == 0 ? 0.0 : 1e-6 * g * g;
  }
  return values;
}

// Weighted 1-D k-means (docs/lut-quantization-and-sensitivities.md): the unique path sums the
// sensitivities per value; the all-values path weights every value (distinct heavy-tailed values,
// so that no two orders of equal values can differ).
void add_sensitivity_cases(std::vector<ParityCase>& cases, unsigned& seed) {
  const Data kinds[] = {Data::HeavyTailed, Data::Mixture, Data::Duplicates};
  for (Data kind : kinds) {
    for (int n_bits : {2, 4, 8}) {
      for (int variant = 0; variant < 3; ++variant) {
        if (variant == 1 && kind != Data::HeavyTailed)
          continue;
        ParityCase c;
        const DType dtype = variant == 1 ? DType::F32 : DType::F16;
        c.weight = make_tensor(dtype, {32, 64}, generate(kind, 32 * 64, seed++));
        c.sensitivity = make_tensor(DType::F32, {32, 64}, sensitivities(32 * 64, seed++));
        c.request.weight = c.weight.view();
        c.request.sensitivity = c.sensitivity.view();
        c.request.spec.n_bits = n_bits;
        c.request.enable_fast_kmeans_mode = variant == 0;
        c.request.spec.granularity =
            variant == 2 ? Granularity::per_grouped_channel(0, 16) : Granularity::per_tensor();
        c.label = "sensitivity, data " + std::to_string(static_cast<int>(kind)) + ", " +
                  std::to_string(n_bits) + " bits, " + std::string(dtype_name(dtype)) +
                  (c.request.enable_fast_kmeans_mode ? " fast" : " exact");
        cases.push_back(std::move(c));
      }
    }
  }
}

std::vector<ParityCase> parity_cases() {
  std::vector<ParityCase> cases;
  const Data kinds[] = {Data::HeavyTailed, Data::Mixture,  Data::Duplicates,
                        Data::FewDistinct, Data::Constant, Data::TwoValues};
  const int widths[] = {1, 2, 3, 4, 6, 8};
  unsigned seed = 1;
  for (Data kind : kinds) {
    for (int n_bits : widths) {
      for (int variant = 0; variant < 3; ++variant) {
        ParityCase c;
        const DType dtype = variant == 1 ? DType::F32 : DType::F16;
        c.weight = make_tensor(dtype, {32, 64}, generate(kind, 32 * 64, seed++));
        c.request.weight = c.weight.view();
        c.request.spec.n_bits = n_bits;
        // F16 fast (rounded unique values); F32 fast for odd n_bits, else every value; F16 exact
        // (unique values, unrounded).
        c.request.enable_fast_kmeans_mode = variant == 0 || (variant == 1 && n_bits % 2 == 1);
        c.request.spec.granularity = (n_bits + variant) % 3 == 0 ? Granularity::per_tensor()
                                     : (n_bits + variant) % 3 == 1
                                         ? Granularity::per_grouped_channel(0, 16)
                                         : Granularity::per_grouped_channel(1, 16);
        c.request.spec.enable_per_channel_scale = (seed % 4) == 0;
        c.label = "data " + std::to_string(static_cast<int>(kind)) + ", " + std::to_string(n_bits) +
                  " bits, " + std::string(dtype_name(dtype)) +
                  (c.request.enable_fast_kmeans_mode ? " fast" : " exact") +
                  (c.request.spec.enable_per_channel_scale ? " +scale" : "");
        cases.push_back(std::move(c));
      }
    }
  }
  add_sensitivity_cases(cases, seed);
  // Per-tensor blocks of several chunks: counted in bins, split across the pool.
  for (int variant = 0; variant < 3; ++variant) {
    ParityCase c;
    const DType dtype = variant == 0 ? DType::F16 : DType::F32;
    c.weight = make_tensor(dtype, {512, 640}, generate(Data::HeavyTailed, 512 * 640, seed++));
    c.request.weight = c.weight.view();
    c.request.spec.n_bits = variant == 1 ? 3 : 4;
    c.request.enable_fast_kmeans_mode = variant != 2;
    c.label = "large per-tensor " + std::string(dtype_name(dtype)) +
              (c.request.enable_fast_kmeans_mode ? " fast" : " exact");
    cases.push_back(std::move(c));
  }
  return cases;
}

nlohmann::json run_oracle(const std::vector<ParityCase>& cases, const std::string& directory) {
  nlohmann::json input;
  input["cases"] = nlohmann::json::array();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string npy = directory + "/w" + std::to_string(i) + ".npy";
    write_npy(npy, cases[i].weight);
    nlohmann::json sensitivity;
    if (!cases[i].sensitivity.bytes.empty()) {
      sensitivity = directory + "/s" + std::to_string(i) + ".npy";
      write_npy(sensitivity.get<std::string>(), cases[i].sensitivity);
    }
    const Granularity& g = cases[i].request.spec.granularity;
    const bool grouped = g.type == GranularityType::PerGroupedChannel;
    input["cases"].push_back(
        {{"weight", npy},
         {"n_bits", cases[i].request.spec.n_bits},
         {"axis", grouped ? nlohmann::json(*g.axis) : nlohmann::json()},
         {"group_size", grouped ? nlohmann::json(g.group_size) : nlohmann::json()},
         {"fast", cases[i].request.enable_fast_kmeans_mode},
         {"precision", cases[i].request.rounding_precision},
         {"per_channel_scale", cases[i].request.spec.enable_per_channel_scale},
         {"sensitivity", sensitivity}});
  }
  std::ofstream(directory + "/input.json") << input.dump();
  const std::string command = std::string(KMLUT_PYTHON) + " " + KMLUT_ORACLE_DIR +
                              "/coreai_numpy_reenactment.py " + directory + "/input.json " +
                              directory + "/output.json";
  if (std::system(command.c_str()) != 0)
    return {};
  return nlohmann::json::parse(std::ifstream(directory + "/output.json"));
}

TEST(ScalarParity, MatchesCoreaiOptWithTheBundledKmeans1d) {
  const std::vector<ParityCase> cases = parity_cases();
  char directory[] = "/tmp/kmlut-parity-XXXXXX";
  ASSERT_NE(mkdtemp(directory), nullptr);
  const nlohmann::json oracle = run_oracle(cases, directory);
  if (oracle.is_null())
    KMLUT_ORACLE_UNAVAILABLE("coreai_numpy_reenactment.py could not run (numpy, coremltools)");
  std::vector<PalettizeRequest> requests;
  for (const ParityCase& c : cases)
    requests.push_back(c.request);
  const std::vector<PalettizeResult> results = make_cpu_backend(2)->run_batch(requests);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].label);
    const nlohmann::json& expected = oracle["results"][i];
    const PalettizeResult& result = results[i];
    ASSERT_TRUE(result.palettized) << result.skip_reason;
    const double sse = expected["sse"].get<double>();
    EXPECT_NEAR(result.sse, sse, 1e-9 * sse + 1e-30);
    // On the all-values path kmeans1d takes k = min(n, 2^n_bits) with n counting duplicates, so
    // with fewer distinct values than k it returns one of many lossless partitions (duplicate or
    // arbitrary centroids); kmlut clusters the distinct values (docs/architecture.md §5.5). Both
    // are optimal.
    if (result.unique_path_blocks == 0 && sse == 0.0 && result.sse == 0.0)
      continue;
    const std::size_t entries = std::size_t{1} << cases[i].request.spec.n_bits;
    ASSERT_EQ(expected["luts"].size(), result.num_luts);
    for (std::size_t b = 0; b < result.num_luts; ++b) {
      for (std::size_t e = 0; e < entries; ++e) {
        ASSERT_EQ(element_value(result.lut_dtype, result.lut.data(), b * entries + e),
                  expected["luts"][b][e].get<double>())
            << "LUT " << b << " entry " << e;
      }
    }
    const auto indices = expected["indices"].get<std::vector<int>>();
    ASSERT_EQ(indices.size(), result.indices.size());
    for (std::size_t e = 0; e < indices.size(); ++e) {
      ASSERT_EQ(result.indices[e], indices[e]) << "element " << e;
    }
  }
  std::system((std::string("rm -rf ") + directory).c_str());
}

}  // namespace
}  // namespace kmlut
