// Backends by name. The CUDA backend registers here once it exists (the CUDA backend issue); until
// then "auto" means the CPU and "cuda" is an error that says so.
#include "kmlut/error.hpp"
#include "kmlut/palettize.hpp"

namespace kmlut {

std::unique_ptr<Backend> make_backend(const std::string& name, int threads) {
  if (name == "cpu" || name == "auto")
    return make_cpu_backend(threads);
  if (name == "cuda") {
    throw Error(
        "--backend cuda: this build has no CUDA palettization backend yet; use --backend cpu or "
        "auto");
  }
  throw ConfigError("unknown backend \"" + name + "\" (expected auto, cpu or cuda)");
}

}  // namespace kmlut
