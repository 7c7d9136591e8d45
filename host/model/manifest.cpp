// The manifest: a compiler's description of a model's modules, their types, the ops they call and
// the state tensors those ops consume (format: docs/manifest.md). Modules it does not list are
// inferred from the checkpoint as for a bare checkpoint.
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "host/io/strict_json.hpp"
#include "kmlut/config.hpp"
#include "kmlut/error.hpp"
#include "kmlut/model.hpp"

namespace kmlut {
namespace {

using Json = nlohmann::ordered_json;

class ManifestParser {
 public:
  ManifestParser(std::string source, const std::vector<TensorInfo>& tensors)
      : source_(std::move(source)) {
    for (const TensorInfo& tensor : tensors) {
      checkpoint_tensors_.insert(tensor.name);
      auto [module, state] = split_tensor_name(tensor.name);
      tensors_by_module_[module].push_back({state, tensor.name});
    }
  }

  std::vector<ModuleDescription> parse(const Json& root) {
    expect_keys(root, "", {"kmlut_manifest", "modules"});
    const Json* version = find(root, "kmlut_manifest");
    if (version == nullptr || !version->is_number_integer() || version->get<long long>() != 1) {
      fail("kmlut_manifest", "must be 1 (the manifest format version)");
    }
    const Json* modules = find(root, "modules");
    if (modules == nullptr || !modules->is_array())
      fail("modules", "expected an array");
    std::vector<ModuleDescription> result;
    std::unordered_set<std::string> seen;
    for (std::size_t i = 0; i < modules->size(); ++i) {
      const std::string path = "modules[" + std::to_string(i) + "]";
      ModuleDescription module = parse_module((*modules)[i], path);
      if (!seen.insert(module.name).second) {
        fail(path + ".name", "module \"" + module.name + "\" is listed twice");
      }
      result.push_back(std::move(module));
    }
    return result;
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& problem) const {
    throw InputError(source_ + ": " + (path.empty() ? "" : path + ": ") + problem);
  }

  static const Json* find(const Json& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
  }

  void expect_keys(const Json& object, const std::string& path,
                   std::initializer_list<const char*> allowed) const {
    if (!object.is_object())
      fail(path, "expected an object");
    for (const auto& item : object.items()) {
      bool known = false;
      std::string expected;
      for (const char* key : allowed) {
        known = known || item.key() == key;
        expected += (expected.empty() ? "" : ", ") + std::string(key);
      }
      if (!known) {
        fail(path, "unknown key \"" + item.key() + "\" (expected one of: " + expected + ")");
      }
    }
  }

  std::string string_field(const Json& object, const std::string& path, const char* key,
                           bool required) const {
    const Json* value = find(object, key);
    if (value == nullptr) {
      if (required)
        fail(path, std::string("missing key \"") + key + "\"");
      return {};
    }
    if (!value->is_string())
      fail(path + "." + key, "expected a string");
    return value->get<std::string>();
  }

  ModuleDescription parse_module(const Json& entry, const std::string& path) {
    expect_keys(entry, path, {"name", "type", "states", "ops"});
    ModuleDescription module;
    module.name = string_field(entry, path, "name", true);
    module.type = string_field(entry, path, "type", false);
    module.states = parse_states(entry, path, module.name);
    if (const Json* ops = find(entry, "ops")) {
      if (!ops->is_array())
        fail(path + ".ops", "expected an array");
      for (std::size_t i = 0; i < ops->size(); ++i) {
        module.ops.push_back(parse_op((*ops)[i], path + ".ops[" + std::to_string(i) + "]", module));
      }
    }
    return module;
  }

  // Explicit {"local name": "tensor"} pairs, or by default the checkpoint's "<module>.<state>"
  // tensors.
  std::vector<StateDescription> parse_states(const Json& entry, const std::string& path,
                                             const std::string& module_name) const {
    const Json* states = find(entry, "states");
    if (states == nullptr) {
      auto it = tensors_by_module_.find(module_name);
      return it == tensors_by_module_.end() ? std::vector<StateDescription>{} : it->second;
    }
    if (!states->is_object())
      fail(path + ".states", "expected an object");
    std::vector<StateDescription> result;
    for (const auto& item : states->items()) {
      const std::string state_path = path + ".states." + item.key();
      if (!item.value().is_string())
        fail(state_path, "expected a tensor name (string)");
      const std::string tensor = item.value().get<std::string>();
      if (checkpoint_tensors_.count(tensor) == 0) {
        fail(state_path, "tensor \"" + tensor + "\" is not in the checkpoint");
      }
      result.push_back({item.key(), tensor});
    }
    return result;
  }

  OpDescription parse_op(const Json& entry, const std::string& path,
                         const ModuleDescription& module) const {
    expect_keys(entry, path, {"name", "type", "states"});
    OpDescription op;
    const std::string type = string_field(entry, path, "type", true);
    const std::optional<std::string> normalized = normalize_op_type(type);
    if (!normalized)
      fail(path + ".type", "unknown op type \"" + type + "\"" + expected_op_types());
    op.type = *normalized;
    op.name = string_field(entry, path, "name", false);
    if (op.name.empty())
      op.name = module.name.empty() ? op.type : module.name + "." + op.type;
    const Json* states = find(entry, "states");
    if (states == nullptr) {
      for (const StateDescription& state : module.states)
        op.states.push_back(state.name);
      return op;
    }
    if (!states->is_array())
      fail(path + ".states", "expected an array of state names");
    for (const Json& state : *states) {
      if (!state.is_string())
        fail(path + ".states", "expected an array of state names");
      const std::string name = state.get<std::string>();
      const bool known = std::any_of(module.states.begin(), module.states.end(),
                                     [&](const StateDescription& s) { return s.name == name; });
      if (!known) {
        fail(path + ".states", "\"" + name + "\" is not a state of module \"" + module.name + "\"");
      }
      op.states.push_back(name);
    }
    return op;
  }

  static std::string expected_op_types() {
    std::string list;
    for (const std::string& type : supported_op_types())
      list += (list.empty() ? "" : ", ") + type;
    return " (expected one of: " + list + ", or their aten.<name>.default spellings)";
  }

  std::string source_;
  std::unordered_set<std::string> checkpoint_tensors_;
  std::unordered_map<std::string, std::vector<StateDescription>> tensors_by_module_;
};

// Tensors that no listed module claims are described by inference, as for a bare checkpoint.
void add_inferred_modules(ModelDescription& model, const std::vector<TensorInfo>& tensors) {
  std::unordered_set<std::string> claimed;
  std::unordered_set<std::string> listed;
  for (const ModuleDescription& module : model.modules) {
    listed.insert(module.name);
    for (const StateDescription& state : module.states)
      claimed.insert(state.tensor);
  }
  std::vector<TensorInfo> unclaimed;
  for (const TensorInfo& tensor : tensors) {
    if (claimed.count(tensor.name) == 0)
      unclaimed.push_back(tensor);
  }
  for (ModuleDescription& module : infer_model_description(unclaimed).modules) {
    if (listed.count(module.name) != 0)
      continue;  // listed but not owning these: keep as listed
    model.modules.push_back(std::move(module));
  }
}

}  // namespace

ModelDescription parse_manifest(const std::string& text, const std::string& source,
                                const std::vector<TensorInfo>& tensors) {
  // The strict parser rejects duplicate keys, NUL bytes and deep nesting; the document is then
  // read again in order, as the states of a module keep their listed order.
  detail::parse_json_document(text, source, "");
  const Json root = Json::parse(text);
  ModelDescription model;
  model.modules = ManifestParser(source, tensors).parse(root);
  add_inferred_modules(model, tensors);
  return model;
}

ModelDescription load_manifest(const std::filesystem::path& path,
                               const std::vector<TensorInfo>& tensors) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(path.string() + ": cannot open manifest");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_manifest(text.str(), path.string(), tensors);
}

}  // namespace kmlut
