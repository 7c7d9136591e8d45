// Uses the installed public API: builds a config, serializes and reloads it, resolves a plan.
#include <iostream>
#include <kmlut/config_io.hpp>
#include <kmlut/plan.hpp>

int main() {
  kmlut::KMeansPalettizerConfig config = kmlut::KMeansPalettizerConfig::w4();
  config.set_module_name("lm_head", std::nullopt);
  const kmlut::KMeansPalettizerConfig reloaded =
      kmlut::config_from_yaml(kmlut::config_to_yaml(config));
  if (reloaded != config) {
    std::cerr << "config did not round-trip\n";
    return 1;
  }
  kmlut::TensorInfo weight;
  weight.name = "layers.0.mlp.up_proj.weight";
  weight.dtype = kmlut::DType::F16;
  weight.shape = {64, 32};
  kmlut::TensorInfo head = weight;
  head.name = "lm_head.weight";
  const std::vector<kmlut::TensorInfo> tensors{weight, head};
  const kmlut::Plan plan =
      kmlut::resolve_plan(reloaded, kmlut::infer_model_description(tensors), tensors);
  if (plan.palettized_count() != 1 || !plan.jobs[0].spec || plan.jobs[0].spec->n_bits != 4) {
    std::cerr << "unexpected plan\n";
    return 1;
  }
  std::cout << "consumer ok: " << plan.jobs[0].decided_by << "\n";
  return 0;
}
