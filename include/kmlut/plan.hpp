// Resolution: config + model description + tensors -> the job list, one entry per tensor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kmlut/config.hpp"
#include "kmlut/dtype.hpp"
#include "kmlut/model.hpp"
#include "kmlut/safetensors.hpp"
#include "kmlut/spec.hpp"

namespace kmlut {

struct Job {
  std::string tensor;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::string module;
  std::string module_type;
  std::string op;       // "" when no op consumes the tensor
  std::string op_type;  // short form, "" when no op
  std::string state;
  // The resolved spec (axis made concrete); nullopt when the tensor is not palettized.
  std::optional<PalettizationSpec> spec;
  bool enable_fast_kmeans_mode = true;
  int rounding_precision = 4;
  std::string decided_by;  // the config entry or rule that decided, for people
};

struct Plan {
  std::vector<Job> jobs;

  std::size_t palettized_count() const;
};

// Resolves every tensor. The config must be valid (validate() is called); regexes are compiled
// once per call. Throws ConfigError for an invalid config.
Plan resolve_plan(const KMeansPalettizerConfig& config, const ModelDescription& model,
                  const std::vector<TensorInfo>& tensors);

// The consuming op's default grouping axis: 1 for conv_transpose*, 0 otherwise.
int default_axis_for_op(const std::string& op_type);

}  // namespace kmlut
