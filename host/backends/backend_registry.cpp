// Backends by name. "cuda" needs a build with the CUDA backend (KMLUT_HAVE_CUDA) and a device that
// runs its kernels. "auto" chooses the CUDA backend when a device works and the backend's parity
// probe (probe/parity_probe.hpp) gives the CPU backend's results bit for bit, else the CPU, and
// gives the reason to the caller (docs/cuda-backend.md, "Backend selection").
#include "host/backends/cuda_availability.hpp"
#include "kmlut/error.hpp"
#include "kmlut/palettize.hpp"

#if KMLUT_HAVE_CUDA
#include <exception>

#include "host/backends/cuda/cuda_backend.hpp"
#include "host/backends/device_list.hpp"
#include "host/backends/multi_device_backend.hpp"
#include "host/backends/probe/parity_probe.hpp"
#include "kernels/cuda_api.hpp"
#endif

namespace kmlut {
namespace {

#if KMLUT_HAVE_CUDA
std::unique_ptr<Backend> make_cuda_backend(int threads, int device = 0) {
  cuda::CudaBackendOptions options;
  options.device = device;
  options.cpu_threads = threads;
  return cuda::make_cuda_backend(options);
}

// One CUDA backend per selected device, behind one that shares the batches among them.
std::unique_ptr<Backend> make_cuda_backends(int threads, const std::string& devices) {
  // Without a device, why there is none says more than any device list could.
  if (cuda::device_count() == 0)
    throw Error("the CUDA backend cannot run: " + cuda::device_unusable_reason());
  const std::vector<int> selected = parse_device_list(devices, cuda::device_count());
  if (selected.size() == 1)
    return make_cuda_backend(threads, selected.front());
  std::vector<DeviceBackend> backends;
  for (int device : selected)
    backends.push_back({device, make_cuda_backend(threads, device)});
  return make_multi_device_backend(std::move(backends));
}

// The parity probe of the CUDA backend against the CPU backend, run on the first "auto" of the
// process and remembered (a few hundred KB; a device either computes the CPU's bits or not, and
// the answer does not change while the process runs): "" when it matched, else why not.
const std::string& cuda_probe_failure(int threads) {
  static const std::string failure = [threads]() -> std::string {
    try {
      const std::unique_ptr<Backend> cuda_backend = make_cuda_backend(threads);
      const std::unique_ptr<Backend> cpu = make_cpu_backend(threads);
      return probe::run_parity_probe(*cuda_backend, *cpu).first_failure();
    } catch (const std::exception& error) {
      return error.what();
    }
  }();
  return failure;
}
#endif

// The probe runs on device 0; `kmlut selftest --devices` probes each device.
BackendChoice choose_auto_backend(int threads, const std::string& devices) {
  std::string reason = cuda_unusable_reason();
#if KMLUT_HAVE_CUDA
  if (reason.empty()) {
    const std::string& failure = cuda_probe_failure(threads);
    if (failure.empty())
      return {make_cuda_backends(threads, devices), "its parity probe gave the CPU backend's bits"};
    reason = "the CUDA backend failed its parity probe: " + failure;
  }
#else
  (void)devices;
#endif
  return {make_cpu_backend(threads), reason};
}

}  // namespace

std::string cuda_unusable_reason() {
#if KMLUT_HAVE_CUDA
  return cuda::device_unusable_reason();
#else
  return "this build has no CUDA backend";
#endif
}

BackendChoice choose_backend(const std::string& name, int threads, const std::string& devices) {
  if (name == "cpu") {
    if (!devices.empty())
      throw ConfigError("a device list (\"" + devices + "\") needs the cuda or auto backend");
    return {make_cpu_backend(threads), ""};
  }
  if (name == "auto")
    return choose_auto_backend(threads, devices);
  if (name == "cuda") {
#if KMLUT_HAVE_CUDA
    return {make_cuda_backends(threads, devices), ""};
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
