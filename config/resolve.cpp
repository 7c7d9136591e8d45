// Resolution (docs/architecture.md §5.2): which config, op config and state spec decide each
// tensor.
//
// Module level: module_name_configs > module_type_configs > global_config. Among the name patterns
// that match a module or any of its ancestors the last defined wins (coreai_opt walks patterns in
// reverse definition order and lets a match propagate to descendants); type keys likewise. A
// config reached through an ancestor drops module_state_spec.
// Op level: module_state_spec > op_name_config (last defined match) > op_type_config >
// op_state_spec; in every state map an exact state name beats "*".
#include <algorithm>
#include <unordered_map>

#include "config/key_path.hpp"
#include "config/regex.hpp"
#include "kmlut/error.hpp"
#include "kmlut/plan.hpp"

namespace kmlut {
namespace {

using detail::FullMatchRegex;
using detail::json_quote;

enum class Level { Name, Type, Global };

struct ModuleDecision {
  const ModuleKMeansPalettizerConfig* config = nullptr;
  Level level = Level::Global;
  bool inherited = false;  // reached through an ancestor: module_state_spec does not apply
  std::string source;      // for people: which config entry
};

struct StateMatch {
  bool found = false;
  std::optional<PalettizationSpec> spec;
  std::string key;  // the state name or "*"
};

struct TensorDecision {
  const ModuleDescription* module = nullptr;
  const OpDescription* op = nullptr;
  std::string state;
  ModuleDecision module_decision;
  StateMatch match;
  std::string decided_by;
};

StateMatch match_state(const StateSpecMap& specs, const std::string& state) {
  if (const auto* spec = specs.find(state))
    return {true, *spec, state};
  if (const auto* spec = specs.find("*"))
    return {true, *spec, "*"};
  return {};
}

// The module itself first, then its parents up to the root module "".
std::vector<std::string> self_and_ancestors(const std::string& module) {
  std::vector<std::string> chain{module};
  for (std::string name = module; !name.empty();) {
    const auto dot = name.rfind('.');
    name = dot == std::string::npos ? std::string() : name.substr(0, dot);
    chain.push_back(name);
  }
  return chain;
}

bool consumes(const OpDescription& op, const std::string& state) {
  return std::find(op.states.begin(), op.states.end(), state) != op.states.end();
}

std::string ineligibility(const TensorInfo& tensor) {
  if (!is_palettizable_dtype(tensor.dtype)) {
    return "not eligible: dtype " + std::string(dtype_name(tensor.dtype)) +
           " (only F64, F32, F16 and BF16 tensors are palettized)";
  }
  if (tensor.numel() <= 1)
    return "not eligible: fewer than 2 elements";
  return {};
}

class Resolver {
 public:
  Resolver(const KMeansPalettizerConfig& config, const ModelDescription& model) : config_(config) {
    for (const auto& [pattern, module_config] : config.module_name_configs) {
      module_patterns_.push_back(FullMatchRegex::compile(
          pattern,
          detail::child_path(std::string(detail::kConfigRoot) + ".module_name_configs", pattern)));
    }
    for (const ModuleDescription& module : model.modules)
      module_types_[module.name] = module.type;
  }

  ModuleDecision decide_module(const std::string& module) {
    const std::vector<std::string> chain = self_and_ancestors(module);
    std::size_t index = config_.module_name_configs.size();
    for (auto it = config_.module_name_configs.end(); it != config_.module_name_configs.begin();) {
      --it;
      --index;
      for (const std::string& candidate : chain) {
        if (!module_patterns_[index].matches(candidate))
          continue;
        return make_decision(it->second, Level::Name,
                             "module_name_configs[" + json_quote(it->first) + "]", module,
                             candidate);
      }
    }
    for (auto it = config_.module_type_configs.end(); it != config_.module_type_configs.begin();) {
      --it;
      for (const std::string& candidate : chain) {
        if (type_of(candidate) != it->first)
          continue;
        return make_decision(it->second, Level::Type,
                             "module_type_configs[" + json_quote(it->first) + "]", module,
                             candidate);
      }
    }
    return make_decision(config_.global_config, Level::Global, "global_config", module, module);
  }

  TensorDecision decide_state(const ModuleDescription& module, const ModuleDecision& decision,
                              const std::string& state) {
    TensorDecision result{&module, first_consumer(module, state), state, decision, {}, {}};
    const ModuleKMeansPalettizerConfig& config = *decision.config;
    if (!decision.inherited) {
      StateMatch match = match_state(config.module_state_spec, state);
      if (match.found) {
        result.match = std::move(match);
        result.decided_by =
            decision.source + " > module_state_spec[" + json_quote(result.match.key) + "]";
        return result;
      }
    }
    std::string first_source;  // where the first consuming op looked, for the message below
    for (const OpDescription& op : module.ops) {
      if (!consumes(op, state))
        continue;
      auto [specs, op_source] = op_state_specs(config, op);
      if (&op == result.op)
        first_source = op_source;
      StateMatch match = match_state(*specs, state);
      if (!match.found)
        continue;
      result.op = &op;
      result.match = std::move(match);
      result.decided_by = decision.source + " > " + op_source + "op_state_spec[" +
                          json_quote(result.match.key) + "]";
      return result;
    }
    result.decided_by =
        decision.source +
        (result.op == nullptr
             ? " > no op consumes it and module_state_spec has no entry for it"
             : " > " + first_source + "op_state_spec has no entry for " + json_quote(state));
    return result;
  }

 private:
  ModuleDecision make_decision(const ModuleKMeansPalettizerConfig& config, Level level,
                               std::string source, const std::string& module,
                               const std::string& matched) const {
    if (config.is_disabled())
      source += " (null: disabled)";
    const bool inherited = matched != module;
    if (inherited)
      source += " via ancestor " + json_quote(matched);
    return {&config, level, inherited, std::move(source)};
  }

  std::string type_of(const std::string& module) const {
    auto it = module_types_.find(module);
    return it == module_types_.end() ? std::string() : it->second;
  }

  static const OpDescription* first_consumer(const ModuleDescription& module,
                                             const std::string& state) {
    for (const OpDescription& op : module.ops) {
      if (consumes(op, state))
        return &op;
    }
    return nullptr;
  }

  // The state spec map an op uses: op_name_config (last defined match) > op_type_config >
  // the module's op_state_spec. The second value names the source, ending in " > " when set.
  std::pair<const StateSpecMap*, std::string> op_state_specs(
      const ModuleKMeansPalettizerConfig& config, const OpDescription& op) {
    const std::vector<FullMatchRegex>& patterns = op_patterns(config);
    std::size_t index = config.op_name_config.size();
    for (auto it = config.op_name_config.end(); it != config.op_name_config.begin();) {
      --it;
      --index;
      if (patterns[index].matches(op.name)) {
        return {&it->second.op_state_spec, "op_name_config[" + json_quote(it->first) + "] > "};
      }
    }
    if (const OpKMeansPalettizerConfig* by_type = config.op_type_config.find(op.type)) {
      return {&by_type->op_state_spec, "op_type_config[" + json_quote(op.type) + "] > "};
    }
    return {&config.op_state_spec, ""};
  }

  const std::vector<FullMatchRegex>& op_patterns(const ModuleKMeansPalettizerConfig& config) {
    auto [it, inserted] = op_patterns_.try_emplace(&config);
    if (inserted) {
      for (const auto& [pattern, op_config] : config.op_name_config) {
        it->second.push_back(
            FullMatchRegex::compile(pattern, "op_name_config[" + json_quote(pattern) + "]"));
      }
    }
    return it->second;
  }

  const KMeansPalettizerConfig& config_;
  std::vector<FullMatchRegex> module_patterns_;
  std::unordered_map<const ModuleKMeansPalettizerConfig*, std::vector<FullMatchRegex>> op_patterns_;
  std::unordered_map<std::string, std::string> module_types_;
};

// A tensor several modules claim (tied weights) is decided by the module whose config has the
// highest priority and names it; among equals the first described module.
bool better(const TensorDecision& candidate, const TensorDecision& current) {
  if (candidate.match.found != current.match.found)
    return candidate.match.found;
  return candidate.module_decision.level < current.module_decision.level;
}

PalettizationSpec with_concrete_axis(PalettizationSpec spec, const std::string& op_type) {
  if (spec.granularity.type == GranularityType::PerGroupedChannel && !spec.granularity.axis) {
    spec.granularity.axis = default_axis_for_op(op_type);
  }
  return spec;
}

Job make_job(const TensorInfo& tensor, const TensorDecision* decision) {
  Job job;
  job.tensor = tensor.name;
  job.dtype = tensor.dtype;
  job.shape = tensor.shape;
  if (decision == nullptr) {
    job.module = split_tensor_name(tensor.name).first;
    job.state = split_tensor_name(tensor.name).second;
    job.decided_by = "not a state of any described module";
    return job;
  }
  job.module = decision->module->name;
  job.module_type = decision->module->type;
  job.state = decision->state;
  if (decision->op != nullptr) {
    job.op = decision->op->name;
    job.op_type = decision->op->type;
  }
  const ModuleKMeansPalettizerConfig& config = *decision->module_decision.config;
  job.enable_fast_kmeans_mode = config.enable_fast_kmeans_mode;
  job.rounding_precision = config.rounding_precision;
  job.decided_by = decision->decided_by;
  const std::string not_eligible = ineligibility(tensor);
  if (!not_eligible.empty()) {
    job.decided_by = not_eligible;
  } else if (decision->match.spec) {
    job.spec = with_concrete_axis(*decision->match.spec, job.op_type);
  }
  return job;
}

}  // namespace

int default_axis_for_op(const std::string& op_type) {
  return op_type.rfind("conv_transpose", 0) == 0 ? 1 : 0;
}

std::size_t Plan::palettized_count() const {
  return static_cast<std::size_t>(
      std::count_if(jobs.begin(), jobs.end(), [](const Job& job) { return job.spec.has_value(); }));
}

Plan resolve_plan(const KMeansPalettizerConfig& config, const ModelDescription& model,
                  const std::vector<TensorInfo>& tensors) {
  config.validate();
  Resolver resolver(config, model);
  std::unordered_map<std::string, TensorDecision> decisions;
  for (const ModuleDescription& module : model.modules) {
    const ModuleDecision module_decision = resolver.decide_module(module.name);
    for (const StateDescription& state : module.states) {
      TensorDecision decision = resolver.decide_state(module, module_decision, state.name);
      auto [it, inserted] = decisions.try_emplace(state.tensor, decision);
      if (!inserted && better(decision, it->second))
        it->second = std::move(decision);
    }
  }
  Plan plan;
  plan.jobs.reserve(tensors.size());
  for (const TensorInfo& tensor : tensors) {
    auto it = decisions.find(tensor.name);
    plan.jobs.push_back(make_job(tensor, it == decisions.end() ? nullptr : &it->second));
  }
  return plan;
}

}  // namespace kmlut
