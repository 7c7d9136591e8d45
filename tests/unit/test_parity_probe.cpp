// The parity probe that gates "auto" and `kmlut selftest`: it covers every path a device backend
// may take, finds a backend that differs on one path (and only that path fails), turns a backend's
// exception into a failed row, compares every output field, and reports that no device was
// checked when none can run the CUDA backend.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/backends/probe/parity_probe.hpp"
#include "host/backends/probe/probe_cases.hpp"
#include "kmlut/error.hpp"

namespace kmlut {
namespace {

// The CPU backend, with one output byte changed on requests `affected` selects.
class CorruptingBackend final : public Backend {
 public:
  explicit CorruptingBackend(bool (*affected)(const PalettizeRequest&)) : affected_(affected) {}
  std::string name() const override { return "corrupting"; }
  std::vector<PalettizeResult> run_batch(const std::vector<PalettizeRequest>& requests) override {
    std::vector<PalettizeResult> results = cpu_->run_batch(requests);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (affected_(requests[i]) && !results[i].packed_indices.empty())
        results[i].packed_indices.back() ^= 1u;
    }
    return results;
  }

 private:
  bool (*affected_)(const PalettizeRequest&);
  std::unique_ptr<Backend> cpu_ = make_cpu_backend(2);
};

class ThrowingBackend final : public Backend {
 public:
  std::string name() const override { return "throwing"; }
  std::vector<PalettizeResult> run_batch(const std::vector<PalettizeRequest>&) override {
    throw std::runtime_error("an illegal memory access was encountered");
  }
};

TEST(ParityProbe, CoversEveryPathADeviceMayTake) {
  const std::vector<probe::ProbePath> paths = probe::probe_paths();
  std::set<DType> dtypes;
  std::set<int> n_bits;
  std::set<int> axes;
  bool per_tensor = false, exact = false, fast = false, scale = false, vector = false;
  bool lut_qspec = false, sensitivity = false;
  std::size_t bytes = 0;
  for (std::size_t p = 0; p + 1 < paths.size(); ++p) {
    for (const PalettizeRequest& r : paths[p].requests) {
      dtypes.insert(r.weight.dtype);
      n_bits.insert(r.spec.n_bits);
      if (r.spec.granularity.type == GranularityType::PerTensor)
        per_tensor = true;
      else
        axes.insert(r.spec.granularity.axis.value());
      exact |= !r.enable_fast_kmeans_mode;
      fast |= r.enable_fast_kmeans_mode;
      scale |= r.spec.enable_per_channel_scale;
      vector |= r.spec.cluster_dim > 1;
      lut_qspec |= r.spec.lut_qspec.has_value();
      sensitivity |= r.sensitivity.data != nullptr;
      bytes += r.weight.numel() * dtype_bits(r.weight.dtype) / 8;
    }
  }
  EXPECT_EQ(dtypes, (std::set<DType>{DType::F16, DType::BF16, DType::F32, DType::F64}));
  EXPECT_EQ(n_bits, (std::set<int>{1, 2, 3, 4, 6, 8}));
  EXPECT_EQ(axes, (std::set<int>{0, 1}));
  EXPECT_TRUE(per_tensor && exact && fast && scale && vector && lut_qspec && sensitivity);
  EXPECT_GT(bytes, 100u << 10);  // a few hundred KB: quick on any device
  EXPECT_LT(bytes, 1u << 20);
  // The last path runs every request of the others in one batch.
  std::size_t requests = 0;
  for (std::size_t p = 0; p + 1 < paths.size(); ++p)
    requests += paths[p].requests.size();
  EXPECT_EQ(paths.back().requests.size(), requests);
}

TEST(ParityProbe, TheCpuBackendOnSeveralThreadsMatchesOneThread) {
  const probe::SelftestSubject subject = probe::selftest_subject("cpu", 2);
  EXPECT_TRUE(subject.no_device.empty());
  const probe::ProbeReport report = probe::run_parity_probe(*subject.candidate, *subject.reference);
  EXPECT_TRUE(report.passed()) << report.first_failure();
  for (const probe::ProbeRow& row : report.rows) {
    EXPECT_TRUE(row.matched) << row.path << ": " << row.mismatch;
    EXPECT_GT(row.bytes, 0u) << row.path;
  }
}

TEST(ParityProbe, ABackendThatDiffersOnOnePathFailsThatPathOnly) {
  CorruptingBackend corrupting(
      [](const PalettizeRequest& r) { return r.spec.lut_qspec && r.sensitivity.data == nullptr; });
  const auto cpu = make_cpu_backend(1);
  const probe::ProbeReport report = probe::run_parity_probe(corrupting, *cpu);
  EXPECT_FALSE(report.passed());
  std::vector<std::string> failed;
  for (const probe::ProbeRow& row : report.rows) {
    if (!row.matched)
      failed.push_back(row.path);
  }
  EXPECT_EQ(failed, (std::vector<std::string>{"lut_qspec f16 w4", "all paths in one batch"}));
  EXPECT_EQ(report.first_failure(), "lut_qspec f16 w4: lut_qspec f16 w4: packed indices");
}

TEST(ParityProbe, AnErrorOfTheBackendFailsTheRowWithItsMessage) {
  ThrowingBackend throwing;
  const auto cpu = make_cpu_backend(1);
  const probe::ProbeReport report = probe::run_parity_probe(throwing, *cpu);
  ASSERT_FALSE(report.rows.empty());
  for (const probe::ProbeRow& row : report.rows)
    EXPECT_EQ(row.mismatch, "error: an illegal memory access was encountered") << row.path;
  EXPECT_NE(report.first_failure().find("illegal memory access"), std::string::npos);
}

TEST(ParityProbe, EveryOutputFieldCounts) {
  PalettizeResult reference;
  reference.palettized = true;
  reference.lut = {1, 2};
  reference.lut_scale = {3};
  reference.indices = {0, 1};
  reference.packed_indices = {4};
  reference.scale = {5, 6};
  reference.sse = 2.0;
  reference.weight_sq_norm = 8.0;
  EXPECT_EQ(probe::result_difference(reference, reference), "");
  const auto changed = [&reference](void (*change)(PalettizeResult&)) {
    PalettizeResult candidate = reference;
    change(candidate);
    return probe::result_difference(candidate, reference);
  };
  EXPECT_EQ(changed([](PalettizeResult& r) { r.lut[1] ^= 1u; }), "LUT bytes");
  EXPECT_EQ(changed([](PalettizeResult& r) { r.lut_scale[0] ^= 1u; }),
            "LUT scale or zero point bytes");
  EXPECT_EQ(changed([](PalettizeResult& r) { r.indices[0] = 1; }), "indices");
  EXPECT_EQ(changed([](PalettizeResult& r) { r.packed_indices[0] = 0; }), "packed indices");
  EXPECT_EQ(changed([](PalettizeResult& r) { r.scale[1] = 0; }), "per-channel scale bytes");
  EXPECT_EQ(changed([](PalettizeResult& r) { r.lut_shape = {1}; }), "LUT dtype, shape or count");
  EXPECT_EQ(changed([](PalettizeResult& r) { r.skip_reason = "x"; }).rfind("palettized", 0), 0u);
  EXPECT_EQ(changed([](PalettizeResult& r) { r.sse *= 1.0 + 1e-13; }), "");  // summation order
  EXPECT_EQ(changed([](PalettizeResult& r) { r.sse *= 1.0 + 1e-6; }),
            "SSE or squared norm beyond 1e-9 relative");
}

TEST(ParityProbe, SelftestOfTheGpuWithoutOneSaysSoAndProbesTheCpu) {
  for (const char* name : {"auto", "cuda"}) {
    const probe::SelftestSubject subject = probe::selftest_subject(name, 1);
    if (subject.no_device.empty()) {
      EXPECT_EQ(subject.candidate->name(), "cuda") << name;
      continue;
    }
    EXPECT_EQ(subject.candidate->name(), "cpu") << name;
    EXPECT_EQ(subject.reference->name(), "cpu") << name;
  }
  EXPECT_THROW(probe::selftest_subject("tpu", 1), ConfigError);
}

TEST(ParityProbe, AutoWithoutAUsableDeviceChoosesTheCpuAndSaysWhy) {
  const probe::SelftestSubject subject = probe::selftest_subject("cuda", 1);
  if (!subject.no_device.empty()) {
    const BackendChoice choice = choose_backend("auto", 1);
    EXPECT_EQ(choice.backend->name(), "cpu");
    EXPECT_EQ(choice.reason, subject.no_device);
  }
}

}  // namespace
}  // namespace kmlut
