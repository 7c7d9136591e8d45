// Inferring a model description from a bare checkpoint (docs/architecture.md §5.3): the module is
// the tensor name minus its last component, the state is that component, and the module's type and
// op come from which states it has and the rank of its weight.
#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_map>

#include "kmlut/model.hpp"

namespace kmlut {
namespace {

struct InferredKind {
  std::string module_type;
  std::string op_type;  // "" when the module calls no palettizable op
};

std::string last_component(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

// Embeddings are looked up, not multiplied: coreai_opt registers no op for F.embedding, so only
// module_state_spec can select their tensors.
bool is_embedding_name(const std::string& module) {
  std::string last = last_component(module);
  std::transform(last.begin(), last.end(), last.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return last.find("embed") != std::string::npos || last == "wte" || last == "wpe";
}

const TensorInfo* state_tensor(const std::vector<const TensorInfo*>& tensors,
                               const std::vector<StateDescription>& states,
                               const std::string& state) {
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (states[i].name == state)
      return tensors[i];
  }
  return nullptr;
}

InferredKind infer_kind(const std::string& module, const std::vector<const TensorInfo*>& tensors,
                        const std::vector<StateDescription>& states) {
  if (!module.empty() && is_embedding_name(module)) {
    return {"torch.nn.modules.sparse.Embedding", ""};
  }
  if (state_tensor(tensors, states, "in_proj_weight") != nullptr) {
    return {"torch.nn.modules.activation.MultiheadAttention", "multi_head_attention_forward"};
  }
  const TensorInfo* weight = state_tensor(tensors, states, "weight");
  if (weight == nullptr)
    return {};
  switch (weight->shape.size()) {
    case 2:
      return {"torch.nn.modules.linear.Linear", "linear"};
    case 3:
      return {"torch.nn.modules.conv.Conv1d", "conv1d"};
    case 4:
      return {"torch.nn.modules.conv.Conv2d", "conv2d"};
    case 5:
      return {"torch.nn.modules.conv.Conv3d", "conv3d"};
    default:
      return {};  // norms (rank-1 weight) and anything else: no op, empty type
  }
}

}  // namespace

std::pair<std::string, std::string> split_tensor_name(const std::string& tensor) {
  const auto dot = tensor.rfind('.');
  if (dot == std::string::npos)
    return {"", tensor};
  return {tensor.substr(0, dot), tensor.substr(dot + 1)};
}

ModelDescription infer_model_description(const std::vector<TensorInfo>& tensors) {
  ModelDescription model;
  std::unordered_map<std::string, std::size_t> module_index;
  std::vector<std::vector<const TensorInfo*>> module_tensors;
  for (const TensorInfo& tensor : tensors) {
    auto [module, state] = split_tensor_name(tensor.name);
    auto [it, inserted] = module_index.emplace(module, model.modules.size());
    if (inserted) {
      model.modules.push_back(ModuleDescription{module, "", {}, {}});
      module_tensors.emplace_back();
    }
    model.modules[it->second].states.push_back({state, tensor.name});
    module_tensors[it->second].push_back(&tensor);
  }
  for (std::size_t i = 0; i < model.modules.size(); ++i) {
    ModuleDescription& module = model.modules[i];
    const InferredKind kind = infer_kind(module.name, module_tensors[i], module.states);
    module.type = kind.module_type;
    if (kind.op_type.empty())
      continue;
    OpDescription op;
    op.type = kind.op_type;
    op.name = module.name.empty() ? kind.op_type : module.name + "." + kind.op_type;
    for (const StateDescription& state : module.states)
      op.states.push_back(state.name);
    module.ops.push_back(std::move(op));
  }
  return model;
}

const ModuleDescription* ModelDescription::find_module(const std::string& name) const {
  for (const ModuleDescription& module : modules) {
    if (module.name == name)
      return &module;
  }
  return nullptr;
}

std::string ModelDescription::module_type(const std::string& name) const {
  const ModuleDescription* module = find_module(name);
  return module == nullptr ? std::string() : module->type;
}

}  // namespace kmlut
