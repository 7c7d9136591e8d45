// Backends by name. "cuda" needs a build with the CUDA backend (KMLUT_HAVE_CUDA) and a device that
// runs its kernels. "auto" keeps choosing the CPU and gives the reason to the caller: the CUDA
// backend has not yet passed scripts/gpu-check.sh on a device (docs/cuda-backend.md).
#include "kmlut/error.hpp"
#include "kmlut/palettize.hpp"

#if KMLUT_HAVE_CUDA
#include "host/backends/cuda/cuda_backend.hpp"
#include "kernels/cuda_api.hpp"
#endif

namespace kmlut {
namespace {

BackendChoice choose_auto_backend(int threads) {
  BackendChoice choice{make_cpu_backend(threads), "this build has no CUDA backend"};
#if KMLUT_HAVE_CUDA
  const std::string unusable = cuda::device_unusable_reason();
  choice.reason = unusable.empty()
                      ? "the CUDA backend is not yet verified on a GPU; --backend cuda selects it"
                      : unusable;
#endif
  return choice;
}

}  // namespace

BackendChoice choose_backend(const std::string& name, int threads) {
  if (name == "cpu")
    return {make_cpu_backend(threads), ""};
  if (name == "auto")
    return choose_auto_backend(threads);
  if (name == "cuda") {
#if KMLUT_HAVE_CUDA
    cuda::CudaBackendOptions options;
    options.cpu_threads = threads;
    return {cuda::make_cuda_backend(options), ""};
#else
    throw Error(
        "--backend cuda: this build has no CUDA backend (configured with KMLUT_CUDA=OFF or "
        "without nvcc); use --backend cpu or auto");
#endif
  }
  throw ConfigError("unknown backend \"" + name + "\" (expected auto, cpu or cuda)");
}

std::unique_ptr<Backend> make_backend(const std::string& name, int threads) {
  return choose_backend(name, threads).backend;
}

}  // namespace kmlut
