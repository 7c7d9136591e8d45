// Several devices behind one backend (host/backends/multi_device_backend.hpp), composed here of
// CPU backends standing in for one CUDA backend per device: the results are one backend's bytes
// in request order, the requests are shared as longest-processing-time-first balances their
// costs (worked out by hand below), and an error names the device it came from. Also the
// `--devices` list (host/backends/device_list.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/backends/device_list.hpp"
#include "host/backends/multi_device_backend.hpp"
#include "kmlut/error.hpp"
#include "tests/unit/scalar_reference.hpp"

namespace kmlut {
namespace {

using testing_support::Data;
using testing_support::generate;
using testing_support::make_tensor;
using testing_support::OwnedTensor;

// A CPU backend that records the names of the requests it was given.
class RecordingBackend final : public Backend {
 public:
  explicit RecordingBackend(std::vector<std::string>& names) : names_(names) {}
  std::string name() const override { return "recording"; }
  std::vector<PalettizeResult> run_batch(const std::vector<PalettizeRequest>& requests) override {
    for (const PalettizeRequest& request : requests)
      names_.push_back(request.name);
    return cpu_->run_batch(requests);
  }

 private:
  std::vector<std::string>& names_;
  std::unique_ptr<Backend> cpu_ = make_cpu_backend(1);
};

class FailingBackend final : public Backend {
 public:
  std::string name() const override { return "failing"; }
  std::vector<PalettizeResult> run_batch(const std::vector<PalettizeRequest>&) override {
    throw InputError("tensor \"x\": a sensitivity of another shape");
  }
};

struct Case {
  OwnedTensor weight;
  PalettizeRequest request;
};

Case make_case(std::string name, DType dtype, std::int64_t rows, std::int64_t cols, int n_bits,
               int cluster_dim, unsigned seed) {
  Case c;
  c.weight = make_tensor(dtype, {rows, cols},
                         generate(Data::Mixture, static_cast<std::size_t>(rows * cols), seed));
  c.request.name = std::move(name);
  c.request.spec.n_bits = n_bits;
  c.request.spec.cluster_dim = cluster_dim;
  c.request.spec.granularity = Granularity::per_grouped_channel(0, 4);
  c.request.enable_fast_kmeans_mode = true;
  c.request.seed = seed;
  return c;
}

std::vector<PalettizeRequest> requests_of(std::vector<Case>& cases) {
  std::vector<PalettizeRequest> requests;
  for (Case& c : cases) {
    c.request.weight = c.weight.view();
    requests.push_back(c.request);
  }
  return requests;
}

TEST(MultiDeviceBackend, ThreeDevicesGiveOneBackendsBytesInRequestOrder) {
  std::vector<Case> cases;
  cases.push_back(make_case("f16 w4", DType::F16, 32, 48, 4, 1, 1));
  cases.push_back(make_case("bf16 w2", DType::BF16, 16, 64, 2, 1, 2));
  cases.push_back(make_case("f32 vector", DType::F32, 16, 32, 3, 2, 3));
  cases.push_back(make_case("f64 w6", DType::F64, 8, 40, 6, 1, 4));
  cases.push_back(make_case("odd rows", DType::F16, 6, 40, 4, 1, 5));  // 6 rows, groups of 4: skip
  cases.push_back(make_case("f16 w8", DType::F16, 64, 64, 8, 1, 6));
  const std::vector<PalettizeRequest> requests = requests_of(cases);
  const std::vector<PalettizeResult> one = make_cpu_backend(1)->run_batch(requests);

  std::vector<std::vector<std::string>> names(3);
  std::vector<DeviceBackend> backends;
  for (int d = 0; d < 3; ++d)
    backends.push_back({d, std::make_unique<RecordingBackend>(names[static_cast<std::size_t>(d)])});
  const std::unique_ptr<Backend> several = make_multi_device_backend(std::move(backends));
  const std::vector<PalettizeResult> got = several->run_batch(requests);

  ASSERT_EQ(got.size(), requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i)
    EXPECT_EQ(one[i].palettized, requests[i].name != "odd rows") << requests[i].name;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::string& name = requests[i].name;
    EXPECT_EQ(got[i].palettized, one[i].palettized) << name;
    EXPECT_EQ(got[i].skip_reason, one[i].skip_reason) << name;
    EXPECT_EQ(got[i].lut, one[i].lut) << name;
    EXPECT_EQ(got[i].lut_shape, one[i].lut_shape) << name;
    EXPECT_EQ(got[i].indices, one[i].indices) << name;
    EXPECT_EQ(got[i].packed_indices, one[i].packed_indices) << name;
    EXPECT_EQ(got[i].scale, one[i].scale) << name;
    EXPECT_EQ(got[i].sse, one[i].sse) << name;
    EXPECT_EQ(got[i].lloyd_iterations, one[i].lloyd_iterations) << name;
  }
  std::size_t shared = 0;
  for (const std::vector<std::string>& device : names) {
    EXPECT_FALSE(device.empty()) << "every device gets work";
    shared += device.size();
  }
  EXPECT_EQ(shared, requests.size()) << "each request runs on exactly one device";
}

TEST(MultiDeviceBackend, RequestsAreSharedLongestFirstToTheLeastLoadedDevice) {
  // F16 scalar tensors cost their element count: 800, 700, 600, 500 and 400. Longest first:
  // 800 -> device 0; 700 -> 1; 600 -> 1 (700 < 800); 500 -> 0 (800 < 1300); 400 -> 0 (1300 ties
  // 1300, the lower device). Loads 1700 and 1300.
  std::vector<Case> cases;
  cases.push_back(make_case("c400", DType::F16, 4, 100, 4, 1, 1));
  cases.push_back(make_case("c800", DType::F16, 8, 100, 4, 1, 2));
  cases.push_back(make_case("c600", DType::F16, 4, 150, 4, 1, 3));
  cases.push_back(make_case("c500", DType::F16, 4, 125, 4, 1, 4));
  cases.push_back(make_case("c700", DType::F16, 4, 175, 4, 1, 5));
  const std::vector<PalettizeRequest> requests = requests_of(cases);
  EXPECT_EQ(share_by_cost(requests, 2), (std::vector<int>{0, 0, 1, 0, 1}));

  std::vector<std::vector<std::string>> names(2);
  std::vector<DeviceBackend> backends;
  backends.push_back({0, std::make_unique<RecordingBackend>(names[0])});
  backends.push_back({1, std::make_unique<RecordingBackend>(names[1])});
  make_multi_device_backend(std::move(backends))->run_batch(requests);
  // Each device gets its share in request order.
  EXPECT_EQ(names[0], (std::vector<std::string>{"c400", "c800", "c500"}));
  EXPECT_EQ(names[1], (std::vector<std::string>{"c600", "c700"}));
}

TEST(MultiDeviceBackend, AnErrorNamesItsDeviceAndKeepsItsType) {
  std::vector<Case> cases;
  cases.push_back(make_case("big", DType::F16, 8, 100, 4, 1, 1));
  cases.push_back(make_case("small", DType::F16, 4, 100, 4, 1, 2));
  const std::vector<PalettizeRequest> requests = requests_of(cases);
  std::vector<std::string> names;
  std::vector<DeviceBackend> backends;
  backends.push_back({3, std::make_unique<RecordingBackend>(names)});
  backends.push_back({7, std::make_unique<FailingBackend>()});
  const std::unique_ptr<Backend> several = make_multi_device_backend(std::move(backends));
  try {
    several->run_batch(requests);
    FAIL() << "expected the second device's error";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), "device 7: tensor \"x\": a sensitivity of another shape");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"big"})) << "the other device still ran its share";
  EXPECT_THROW(make_multi_device_backend({}), ConfigError);
}

TEST(DeviceList, SelectsTheNamedDevices) {
  EXPECT_EQ(parse_device_list("", 4), (std::vector<int>{0}));
  EXPECT_EQ(parse_device_list("all", 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(parse_device_list("2,0", 3), (std::vector<int>{2, 0}));
  EXPECT_EQ(parse_device_list("1", 2), (std::vector<int>{1}));
  for (const char* bad : {"1,1", "0,", ",0", "x", "-1", "0;1", "3"}) {
    EXPECT_THROW(parse_device_list(bad, 3), ConfigError) << bad;
  }
  EXPECT_THROW(parse_device_list("all", 0), ConfigError);
}

}  // namespace
}  // namespace kmlut
