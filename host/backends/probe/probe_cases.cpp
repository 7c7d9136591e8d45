#include "host/backends/probe/probe_cases.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "host/palettize/float_format_dispatch.hpp"

namespace kmlut::probe {
namespace {

enum class Values { HeavyTailed, Duplicates, BeyondHalf, NonFinite, Importance };

// LLM-like weights (Student-t, 4 degrees of freedom), or one of the cases that take another path.
std::vector<double> generate(Values kind, std::size_t count, unsigned seed) {
  std::mt19937 generator(seed);
  std::student_t_distribution<double> t(4.0);
  std::vector<double> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    const double v = 0.02 * t(generator);
    switch (kind) {
      case Values::Duplicates:
        values[i] = std::round(v * 400.0) / 400.0;  // a few dozen values, many ties
        break;
      case Values::Importance:
        values[i] = std::fabs(v);
        break;
      default:
        values[i] = v;
    }
  }
  if (kind == Values::BeyondHalf)
    values[count / 3] = 1.0e6;  // beyond fp16: fast mode takes the all-values path
  if (kind == Values::NonFinite)
    values[count / 2] = std::numeric_limits<double>::quiet_NaN();  // the tensor stays dense
  return values;
}

// The values stored in `dtype` by the rounding the backends use for their own outputs.
ProbeTensor make_tensor(DType dtype, std::int64_t rows, std::int64_t cols, Values kind,
                        unsigned seed) {
  const std::vector<double> values = generate(kind, static_cast<std::size_t>(rows * cols), seed);
  return palettize::with_float_format(dtype, [&](auto tag) {
    using Tag = decltype(tag);
    using Storage = typename Tag::Storage;
    ProbeTensor tensor{
        dtype, {rows, cols}, std::vector<std::uint8_t>(values.size() * sizeof(Storage))};
    for (std::size_t i = 0; i < values.size(); ++i) {
      const Storage stored = Tag::Format::from_double(values[i]);
      std::memcpy(tensor.bytes.data() + i * sizeof(Storage), &stored, sizeof(Storage));
    }
    return tensor;
  });
}

// What varies between the paths; everything else is the request's default (w4, per tensor, fast
// mode, 4 decimals).
struct PathSpec {
  std::string name;
  DType dtype = DType::F16;
  std::int64_t rows = 64;
  std::int64_t cols = 64;
  Values values = Values::HeavyTailed;
  int n_bits = 4;
  Granularity granularity = Granularity::per_tensor();
  bool per_channel_scale = false;
  bool fast_mode = true;
  int cluster_dim = 1;
  bool lut_qspec = false;
  bool sensitivity = false;
};

std::vector<PathSpec> path_specs() {
  const Granularity axis0 = Granularity::per_grouped_channel(0, 16);
  const Granularity axis1 = Granularity::per_grouped_channel(1, 16);
  std::vector<PathSpec> specs;
  auto add = [&specs](PathSpec spec) { specs.push_back(std::move(spec)); };
  add({"scalar f16 per-tensor w4 exact",
       DType::F16,
       128,
       256,
       Values::HeavyTailed,
       4,
       {},
       false,
       false});
  add({"scalar f16 per-tensor w8 fast", DType::F16, 128, 128, Values::HeavyTailed, 8});
  add({"scalar bf16 group-16 axis 0 w6 fast", DType::BF16, 64, 128, Values::HeavyTailed, 6, axis0});
  add({"scalar f32 group-16 axis 1 w3 fast + scale", DType::F32, 64, 128, Values::HeavyTailed, 3,
       axis1, true});
  add({"scalar f64 per-tensor w2 fast", DType::F64, 32, 64, Values::HeavyTailed, 2});
  add({"scalar f16 group-16 axis 1 w1 exact + scale", DType::F16, 32, 64, Values::HeavyTailed, 1,
       axis1, true, false});
  add({"scalar f16 duplicates w4 exact",
       DType::F16,
       64,
       64,
       Values::Duplicates,
       4,
       {},
       false,
       false});
  add({"all values bf16 w4", DType::BF16, 64, 64, Values::HeavyTailed, 4, {}, false, false});
  add({"all values f32 beyond fp16 w4 fast", DType::F32, 64, 64, Values::BeyondHalf});
  add({"all values f64 group-16 axis 0 w2 + sensitivities", DType::F64, 32, 64, Values::HeavyTailed,
       2, axis0, false, false, 1, false, true});
  add({"vector f16 cluster_dim 2 w4",
       DType::F16,
       64,
       64,
       Values::HeavyTailed,
       4,
       {},
       false,
       false,
       2});
  add({"vector f32 cluster_dim 4 w3 group-16", DType::F32, 32, 64, Values::HeavyTailed, 3, axis0,
       false, false, 4});
  add({"lut_qspec f16 w4", DType::F16, 64, 64, Values::HeavyTailed, 4, {}, false, true, 1, true});
  add({"sensitivities f16 w4",
       DType::F16,
       64,
       64,
       Values::HeavyTailed,
       4,
       {},
       false,
       true,
       1,
       false,
       true});
  // LUT quantization (after the DP) and sensitivities (before it) together, on grouped bf16
  // blocks with per-channel scale.
  add({"lut_qspec + sensitivities bf16 group-16 axis 1 w3 fast + scale", DType::BF16, 64, 64,
       Values::HeavyTailed, 3, axis1, true, true, 1, true, true});
  add({"non-finite f16 (skipped)", DType::F16, 16, 64, Values::NonFinite});
  return specs;
}

ProbePath make_path(const PathSpec& spec, unsigned seed) {
  ProbePath path;
  path.name = spec.name;
  path.tensors.push_back(make_tensor(spec.dtype, spec.rows, spec.cols, spec.values, seed));
  if (spec.sensitivity)
    path.tensors.push_back(
        make_tensor(DType::F32, spec.rows, spec.cols, Values::Importance, seed + 1000));
  PalettizeRequest request;
  request.name = spec.name;
  request.weight = path.tensors[0].view();
  request.spec.n_bits = spec.n_bits;
  request.spec.granularity = spec.granularity;
  request.spec.enable_per_channel_scale = spec.per_channel_scale;
  request.spec.cluster_dim = spec.cluster_dim;
  if (spec.lut_qspec)
    request.spec.lut_qspec = LutQSpec{LutDType::UInt8, QScheme::Asymmetric};
  if (spec.sensitivity)
    request.sensitivity = path.tensors[1].view();
  request.enable_fast_kmeans_mode = spec.fast_mode;
  request.seed = seed;
  path.requests.push_back(std::move(request));
  return path;
}

}  // namespace

std::vector<ProbePath> probe_paths() {
  std::vector<ProbePath> paths;
  unsigned seed = 1;
  for (const PathSpec& spec : path_specs())
    paths.push_back(make_path(spec, seed++));
  // The views stay valid: moving a path moves its tensors' buffers, it does not copy them.
  ProbePath together;
  together.name = "all paths in one batch";
  for (const ProbePath& path : paths)
    together.requests.insert(together.requests.end(), path.requests.begin(), path.requests.end());
  paths.push_back(std::move(together));
  return paths;
}

}  // namespace kmlut::probe
