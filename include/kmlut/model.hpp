// The model description resolution works on: modules (name, type), the ops they call and the
// state tensors those ops consume. It comes from a compiler's manifest or is inferred from a
// checkpoint's tensor names and shapes (docs/architecture.md §5.3, docs/manifest.md).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "kmlut/safetensors.hpp"

namespace kmlut {

// A state of a module: its local name ("weight") and the checkpoint tensor it is.
struct StateDescription {
  std::string name;
  std::string tensor;
};

struct OpDescription {
  std::string name;                 // e.g. "layers.0.mlp.up_proj.linear"
  std::string type;                 // short op type, e.g. "linear"
  std::vector<std::string> states;  // local state names of the owning module
};

struct ModuleDescription {
  std::string name;  // "" is the root module
  std::string type;  // fully qualified, e.g. "torch.nn.modules.linear.Linear"; "" if unknown
  std::vector<StateDescription> states;
  std::vector<OpDescription> ops;
};

struct ModelDescription {
  std::vector<ModuleDescription> modules;

  const ModuleDescription* find_module(const std::string& name) const;
  // The fully qualified type of a module, or "" when the module is not described.
  std::string module_type(const std::string& name) const;
};

// Module and state of a tensor name: "a.b.weight" -> {"a.b", "weight"}; "x" -> {"", "x"}.
std::pair<std::string, std::string> split_tensor_name(const std::string& tensor);

// Infers modules, types, ops and states from tensor names and shapes (docs/architecture.md §5.3).
ModelDescription infer_model_description(const std::vector<TensorInfo>& tensors);

// Reads a manifest (JSON) against a checkpoint's tensors. Modules the manifest lists are taken
// from it; modules it does not list are inferred. Throws InputError("<path>: <problem>").
ModelDescription load_manifest(const std::filesystem::path& path,
                               const std::vector<TensorInfo>& tensors);
ModelDescription parse_manifest(const std::string& text, const std::string& source,
                                const std::vector<TensorInfo>& tensors);

}  // namespace kmlut
