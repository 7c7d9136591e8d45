#include "host/backends/multi_device_backend.hpp"

#include <exception>
#include <string>
#include <thread>

#include "host/backends/request_subset.hpp"
#include "host/scheduling/cost_balance.hpp"
#include "kmlut/error.hpp"

namespace kmlut {
namespace {

// The error of one device, with its device number, as the same kmlut error type.
[[noreturn]] void rethrow_for_device(const std::exception_ptr& error, int device) {
  const std::string where = "device " + std::to_string(device) + ": ";
  try {
    std::rethrow_exception(error);
  } catch (const InputError& e) {
    throw InputError(where + e.what());
  } catch (const ConfigError& e) {
    throw ConfigError(where + e.what());
  } catch (const std::exception& e) {
    throw Error(where + e.what());
  }
}

class MultiDeviceBackend final : public Backend {
 public:
  explicit MultiDeviceBackend(std::vector<DeviceBackend> backends)
      : backends_(std::move(backends)) {}

  std::string name() const override { return backends_.front().backend->name(); }

  std::vector<PalettizeResult> run_batch(const std::vector<PalettizeRequest>& requests) override {
    const std::vector<int> share = share_by_cost(requests, static_cast<int>(backends_.size()));
    std::vector<std::vector<std::size_t>> indices(backends_.size());
    for (std::size_t i = 0; i < requests.size(); ++i)
      indices[static_cast<std::size_t>(share[i])].push_back(i);
    std::vector<PalettizeResult> results(requests.size());
    std::vector<std::exception_ptr> errors(backends_.size());
    std::vector<std::thread> threads;
    const auto join_all = [&threads] {
      for (std::thread& thread : threads)
        thread.join();
    };
    try {
      for (std::size_t d = 0; d < backends_.size(); ++d) {
        if (indices[d].empty())
          continue;
        threads.emplace_back([&, d] {
          try {
            run_request_subset(*backends_[d].backend, requests, indices[d], results);
          } catch (...) {
            errors[d] = std::current_exception();
          }
        });
      }
    } catch (...) {  // no thread for a device: the started ones still use this frame
      join_all();
      throw;
    }
    join_all();
    for (std::size_t d = 0; d < backends_.size(); ++d) {
      if (errors[d])
        rethrow_for_device(errors[d], backends_[d].device);
    }
    return results;
  }

 private:
  std::vector<DeviceBackend> backends_;
};

}  // namespace

std::vector<int> share_by_cost(const std::vector<PalettizeRequest>& requests, int devices) {
  std::vector<scheduling::WorkItem> items;
  items.reserve(requests.size());
  for (const PalettizeRequest& request : requests) {
    items.push_back(
        {request.name, scheduling::clustering_cost(static_cast<double>(request.weight.numel()),
                                                   request.weight.dtype, request.spec,
                                                   request.enable_fast_kmeans_mode)});
  }
  return scheduling::assign_by_cost(items, devices);
}

std::unique_ptr<Backend> make_multi_device_backend(std::vector<DeviceBackend> backends) {
  if (backends.empty())
    throw ConfigError("a multi-device backend needs at least one device");
  return std::make_unique<MultiDeviceBackend>(std::move(backends));
}

}  // namespace kmlut
