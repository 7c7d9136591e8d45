// Tensor lists for model-description and resolution tests: only names, dtypes and shapes matter.
#pragma once

#include <string>
#include <vector>

#include "kmlut/plan.hpp"
#include "kmlut/safetensors.hpp"

namespace kmlut::testing_support {

inline TensorInfo tensor(std::string name, std::vector<std::int64_t> shape,
                         DType dtype = DType::F32) {
  TensorInfo info;
  info.name = std::move(name);
  info.dtype = dtype;
  info.shape = std::move(shape);
  return info;
}

// A small transformer-ish model: embedding, norm, attention linears, MHA, conv.
inline std::vector<TensorInfo> small_model() {
  return {
      tensor("embed_tokens.weight", {100, 16}),
      tensor("layers.0.norm.weight", {16}),
      tensor("layers.0.attn.q_proj.weight", {16, 16}),
      tensor("layers.0.attn.q_proj.bias", {16}),
      tensor("layers.0.attn.k_proj.weight", {16, 16}),
      tensor("layers.0.mlp.up_proj.weight", {64, 16}),
      tensor("layers.1.attn.q_proj.weight", {16, 16}),
      tensor("layers.1.mlp.up_proj.weight", {64, 16}),
      tensor("mha.in_proj_weight", {48, 16}),
      tensor("mha.in_proj_bias", {48}),
      tensor("stem.conv.weight", {8, 4, 3, 3}),
      tensor("position_ids", {1, 32}, DType::I64),
      tensor("logit_scale", {}),
  };
}

inline const Job& job_for(const Plan& plan, const std::string& tensor_name) {
  for (const Job& job : plan.jobs) {
    if (job.tensor == tensor_name)
      return job;
  }
  throw std::runtime_error("no job for " + tensor_name);
}

}  // namespace kmlut::testing_support
