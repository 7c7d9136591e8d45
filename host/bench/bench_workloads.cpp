#include "host/bench/bench_workloads.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "host/bench/bench_checkpoint.hpp"
#include "host/bench/synthetic_weights.hpp"
#include "kmlut/checkpoint.hpp"
#include "kmlut/error.hpp"
#include "kmlut/numeric/float_formats.hpp"

namespace kmlut::bench {
namespace {

using Shape = std::vector<std::int64_t>;

// The generated data of each tensor workload comes from its own stream, so workloads do not share
// values and adding one does not change the others.
enum Stream : std::uint64_t {
  kPerTensor = 1,
  kGroup16 = 2,
  kAllValues = 3,
  kVector = 4,
  kSmallBlocks = 5
};

std::string shape_text(const Shape& shape) {
  std::string text;
  for (std::size_t i = 0; i < shape.size(); ++i)
    text += (i ? "x" : "") + std::to_string(shape[i]);
  return text;
}

std::string spec_text(const PalettizationSpec& spec, bool fast_mode) {
  std::ostringstream text;
  if (spec.cluster_dim > 1)
    text << "cluster_dim " << spec.cluster_dim << ", k " << (1 << spec.n_bits) << " ("
         << spec.n_bits << "-bit)";
  else
    text << spec.n_bits << "-bit";
  if (spec.granularity.type == GranularityType::PerGroupedChannel)
    text << " per_grouped_channel(axis " << spec.granularity.axis.value_or(0) << ", group "
         << spec.granularity.group_size << ")";
  else
    text << " per_tensor";
  if (!fast_mode && spec.cluster_dim == 1)
    text << ", fast mode off";
  return text.str();
}

PalettizationSpec scalar_spec(int n_bits, std::int64_t group_size) {
  PalettizationSpec spec;
  spec.n_bits = n_bits;
  if (group_size > 0)
    spec.granularity = Granularity::per_grouped_channel(0, group_size);
  return spec;
}

// One case over the workload's single tensor.
BenchCase single_tensor_case(const BenchTensor& tensor, std::string name,
                             const PalettizationSpec& spec, bool fast_mode) {
  PalettizeRequest request;
  request.name = tensor.name;
  request.weight = tensor.view();
  request.spec = spec;
  request.op_type = "linear";
  request.enable_fast_kmeans_mode = fast_mode;
  BenchCase bench_case =
      tensor_case(std::move(name),
                  shape_text(tensor.shape) + " " + std::string(dtype_name(tensor.dtype)) + ", " +
                      spec_text(spec, fast_mode),
                  {request});
  bench_case.spec = spec;
  bench_case.fast_mode = fast_mode;
  return bench_case;
}

std::vector<float> as_float32(const BenchTensor& tensor) {
  const std::uint64_t numel = element_count(tensor.shape);
  std::vector<float> values(numel);
  const std::uint8_t* data = tensor.bytes.data();
  for (std::uint64_t i = 0; i < numel; ++i) {
    switch (tensor.dtype) {
      case DType::F16:
      case DType::BF16: {
        std::uint16_t bits;
        std::memcpy(&bits, data + 2 * i, 2);
        values[i] = tensor.dtype == DType::F16 ? numeric::half_bits_to_float(bits)
                                               : numeric::bf16_bits_to_float(bits);
        break;
      }
      case DType::F64: {
        double value;
        std::memcpy(&value, data + 8 * i, 8);
        values[i] = static_cast<float>(value);
        break;
      }
      default:
        std::memcpy(&values[i], data + 4 * i, 4);
        break;
    }
  }
  return values;
}

// The largest 2-D float tensor of a user checkpoint whose row count is a multiple of
// `rows_multiple` (the group size or vector length its cases need); the first one on ties.
BenchTensor largest_input_tensor(const std::string& input, std::int64_t rows_multiple,
                                 const std::string& workload) {
  const Checkpoint checkpoint = Checkpoint::open(input);
  const Checkpoint::TensorRef* best = nullptr;
  for (const Checkpoint::TensorRef& ref : checkpoint.tensors()) {
    const TensorInfo& info = *ref.info;
    if (!is_palettizable_dtype(info.dtype) || info.shape.size() != 2 || info.numel() < 2 ||
        info.shape[0] % rows_multiple != 0)
      continue;
    if (!best || info.numel() > best->info->numel())
      best = &ref;
  }
  if (!best) {
    throw InputError(input + ": no 2-D float tensor with a row count divisible by " +
                     std::to_string(rows_multiple) + " for workload " + workload);
  }
  const ByteView data = checkpoint.data(*best);
  BenchTensor tensor{best->info->name, best->info->dtype, best->info->shape,
                     std::vector<std::uint8_t>(data.data, data.data + data.size)};
  checkpoint.release(*best);
  return tensor;
}

// The workload's one tensor: generated, or the largest fitting tensor of --input.
BenchTensor workload_tensor(const WorkloadOptions& options, const std::string& workload,
                            Stream stream, DType dtype, Shape shape, Shape quick_shape,
                            std::int64_t rows_multiple, std::string& source) {
  if (!options.input.empty()) {
    BenchTensor tensor = largest_input_tensor(options.input, rows_multiple, workload);
    source = "input " + options.input + ", tensor " + tensor.name;
    if (dtype == DType::F32 && tensor.dtype != DType::F32) {
      // The all-values path needs values that are not fp16: the tensor is widened to fp32.
      const std::vector<float> values = as_float32(tensor);
      tensor.bytes.assign(reinterpret_cast<const std::uint8_t*>(values.data()),
                          reinterpret_cast<const std::uint8_t*>(values.data() + values.size()));
      source += " (" + std::string(dtype_name(tensor.dtype)) + " widened to F32)";
      tensor.dtype = DType::F32;
    }
    return tensor;
  }
  if (!options.shape.empty())
    shape = options.shape;
  else if (options.quick)
    shape = std::move(quick_shape);
  source = "generated: Student-t (4 degrees of freedom) scaled to std 0.02, seed " +
           std::to_string(options.seed);
  std::vector<std::uint8_t> bytes =
      llm_like_tensor(dtype, element_count(shape), options.seed, stream, options.threads);
  return {"weight", dtype, std::move(shape), std::move(bytes)};
}

Workload scalar_pertensor(const WorkloadOptions& options) {
  Workload workload{"scalar-pertensor", "", {}, {}, {}};
  workload.tensors.push_back(workload_tensor(options, workload.name, kPerTensor, DType::F16,
                                             {4096, 11008}, {256, 1024}, 1, workload.source));
  for (int n_bits : {4, 8}) {
    workload.cases.push_back(single_tensor_case(workload.tensors[0], "w" + std::to_string(n_bits),
                                                scalar_spec(n_bits, 0), true));
  }
  return workload;
}

Workload scalar_group16(const WorkloadOptions& options) {
  Workload workload{"scalar-group16", "", {}, {}, {}};
  workload.tensors.push_back(workload_tensor(options, workload.name, kGroup16, DType::F16,
                                             {4096, 4096}, {256, 1024}, 16, workload.source));
  for (int n_bits : {4, 6}) {
    workload.cases.push_back(single_tensor_case(workload.tensors[0], "w" + std::to_string(n_bits),
                                                scalar_spec(n_bits, 16), true));
  }
  return workload;
}

// Group-16 blocks of 16x384 values, as in small transformer layers (all-MiniLM-L6-v2): the cost
// per block that large blocks hide shows here.
Workload scalar_smallblocks(const WorkloadOptions& options) {
  Workload workload{"scalar-smallblocks", "", {}, {}, {}};
  workload.tensors.push_back(workload_tensor(options, workload.name, kSmallBlocks, DType::F16,
                                             {16384, 384}, {256, 384}, 16, workload.source));
  workload.cases.push_back(
      single_tensor_case(workload.tensors[0], "w4", scalar_spec(4, 16), /*fast_mode=*/true));
  return workload;
}

Workload scalar_allvalues(const WorkloadOptions& options) {
  Workload workload{"scalar-allvalues", "", {}, {}, {}};
  workload.tensors.push_back(workload_tensor(options, workload.name, kAllValues, DType::F32,
                                             {4096, 4096}, {256, 256}, 1, workload.source));
  workload.cases.push_back(
      single_tensor_case(workload.tensors[0], "w4", scalar_spec(4, 0), /*fast_mode=*/false));
  return workload;
}

// Vector palettization: vectors of cluster_dim values along axis 0, k = 16 and 256 centroids, on
// a smaller tensor than the scalar workloads (Lloyd iterations cost n·k·d each).
Workload vector_workload(const WorkloadOptions& options) {
  Workload workload{"vector", "", {}, {}, {}};
  workload.tensors.push_back(workload_tensor(options, workload.name, kVector, DType::F16,
                                             {512, 512}, {128, 256}, 8, workload.source));
  for (int cluster_dim : {2, 4, 8}) {
    for (int n_bits : {4, 8}) {
      PalettizationSpec spec = scalar_spec(n_bits, 0);
      spec.cluster_dim = cluster_dim;
      workload.cases.push_back(single_tensor_case(
          workload.tensors[0],
          "d" + std::to_string(cluster_dim) + "-k" + std::to_string(1 << n_bits), spec,
          /*fast_mode=*/false));
    }
  }
  return workload;
}

}  // namespace

const std::vector<std::string>& workload_names() {
  static const std::vector<std::string> names = {
      "scalar-pertensor", "scalar-group16", "scalar-smallblocks", "scalar-allvalues",
      "vector",           "checkpoint",     "real-checkpoint"};
  return names;
}

std::vector<std::string> select_workloads(const std::vector<std::string>& requested) {
  const std::vector<std::string>& names = workload_names();
  std::vector<bool> chosen(names.size(), false);
  for (const std::string& entry : requested) {
    std::istringstream list(entry);
    std::string name;
    while (std::getline(list, name, ',')) {
      if (name == "all") {
        std::fill(chosen.begin(), chosen.end(), true);
        continue;
      }
      const auto found = std::find(names.begin(), names.end(), name);
      if (found == names.end()) {
        std::string expected;
        for (const std::string& known : names)
          expected += known + ", ";
        throw ConfigError("--workload: unknown workload \"" + name + "\" (expected " + expected +
                          "or all)");
      }
      chosen[static_cast<std::size_t>(found - names.begin())] = true;
    }
  }
  std::vector<std::string> selected;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (chosen[i])
      selected.push_back(names[i]);
  }
  if (selected.empty())
    throw ConfigError("--workload: no workload named (expected a name or all)");
  return selected;
}

Workload make_workload(const std::string& name, const WorkloadOptions& options) {
  if (name == "scalar-pertensor")
    return scalar_pertensor(options);
  if (name == "scalar-group16")
    return scalar_group16(options);
  if (name == "scalar-smallblocks")
    return scalar_smallblocks(options);
  if (name == "scalar-allvalues")
    return scalar_allvalues(options);
  if (name == "vector")
    return vector_workload(options);
  if (name == "checkpoint")
    return checkpoint_workload(options);
  if (name == "real-checkpoint")
    return real_checkpoint_workload(options);
  throw ConfigError("unknown workload \"" + name + "\"");
}

std::uint64_t element_count(const std::vector<std::int64_t>& shape) {
  std::uint64_t count = 1;
  for (std::int64_t dim : shape)
    count *= static_cast<std::uint64_t>(dim);
  return count;
}

BenchCase tensor_case(std::string name, std::string description,
                      std::vector<PalettizeRequest> requests) {
  BenchCase bench_case;
  bench_case.name = std::move(name);
  bench_case.description = std::move(description);
  std::uint64_t bytes_read = 0;
  for (const PalettizeRequest& request : requests) {
    bench_case.tensors.push_back(request.name);
    bytes_read += request.weight.numel() * dtype_bits(request.weight.dtype) / 8;
    if (bench_case.skip_reason.empty())
      bench_case.skip_reason = preflight_skip_reason(request, /*check_values=*/false);
  }
  bench_case.run = [requests = std::move(requests), bytes_read](Backend& backend) {
    const std::vector<PalettizeResult> results = backend.run_batch(requests);
    CaseOutcome outcome;
    outcome.bytes_read = bytes_read;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const PalettizeResult& result = results[i];
      if (!result.palettized) {
        ++outcome.skipped;
        if (outcome.skip_reason.empty())
          outcome.skip_reason = result.skip_reason;
        continue;
      }
      ++outcome.palettized;
      outcome.weights += requests[i].weight.numel();
      outcome.bytes_written += result.lut.size() + result.lut_scale.size() +
                               result.lut_zero_point.size() + result.packed_indices.size() +
                               result.scale.size();
      outcome.sse += result.sse;
      outcome.weight_sq_norm += result.weight_sq_norm;
      outcome.lloyd_iterations += result.lloyd_iterations;
    }
    return outcome;
  };
  return bench_case;
}

}  // namespace kmlut::bench
