#include "host/backends/probe/parity_probe.hpp"

#include <chrono>
#include <cmath>
#include <exception>

#include "host/backends/cuda_availability.hpp"
#include "host/backends/probe/probe_cases.hpp"

#if KMLUT_HAVE_CUDA
#include "host/backends/device_list.hpp"
#include "kernels/cuda_api.hpp"
#endif

namespace kmlut::probe {
namespace {

bool close(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::fabs(b) || a == b;
}

std::size_t weight_bytes(const std::vector<PalettizeRequest>& requests) {
  std::size_t bytes = 0;
  for (const PalettizeRequest& request : requests)
    bytes += request.weight.numel() * (dtype_bits(request.weight.dtype) / 8);
  return bytes;
}

// Compares one path's results; fills the row's verdict.
void compare(const std::vector<PalettizeRequest>& requests, const std::vector<PalettizeResult>& got,
             const std::vector<PalettizeResult>& expected, ProbeRow& row) {
  if (got.size() != expected.size()) {
    row.mismatch = std::to_string(got.size()) + " results for " + std::to_string(expected.size()) +
                   " requests";
    return;
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::string difference = result_difference(got[i], expected[i]);
    if (!difference.empty()) {
      row.mismatch = requests[i].name + ": " + difference;
      return;
    }
  }
  row.matched = true;
}

ProbeRow run_path(const ProbePath& path, Backend& candidate, Backend& reference) {
  ProbeRow row;
  row.path = path.name;
  row.bytes = weight_bytes(path.requests);
  const std::vector<PalettizeResult> expected = reference.run_batch(path.requests);
  std::vector<PalettizeResult> got;
  const auto start = std::chrono::steady_clock::now();
  try {
    got = candidate.run_batch(path.requests);
  } catch (const std::exception& error) {
    row.mismatch = std::string("error: ") + error.what();
    return row;
  }
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  compare(path.requests, got, expected, row);
  return row;
}

}  // namespace

bool ProbeReport::passed() const {
  return first_failure().empty();
}

std::string ProbeReport::first_failure() const {
  for (const ProbeRow& row : rows) {
    if (!row.matched)
      return row.path + ": " + row.mismatch;
  }
  return rows.empty() ? "the probe ran no path" : "";
}

std::string result_difference(const PalettizeResult& candidate, const PalettizeResult& reference) {
  const PalettizeResult& a = candidate;
  const PalettizeResult& b = reference;
  if (a.palettized != b.palettized || a.skip_reason != b.skip_reason)
    return "palettized or skip reason (\"" + a.skip_reason + "\" vs \"" + b.skip_reason + "\")";
  if (a.lut_dtype != b.lut_dtype || a.lut_shape != b.lut_shape || a.num_luts != b.num_luts)
    return "LUT dtype, shape or count";
  if (a.lut != b.lut)
    return "LUT bytes";
  if (a.lut_scale != b.lut_scale || a.lut_zero_point != b.lut_zero_point)
    return "LUT scale or zero point bytes";
  if (a.index_shape != b.index_shape || a.indices != b.indices)
    return "indices";
  if (a.packed_indices != b.packed_indices)
    return "packed indices";
  if (a.scale_shape != b.scale_shape || a.scale != b.scale)
    return "per-channel scale bytes";
  if (a.unique_path_blocks != b.unique_path_blocks)
    return "blocks on the weighted-unique path";
  if (!close(a.sse, b.sse) || !close(a.weight_sq_norm, b.weight_sq_norm))
    return "SSE or squared norm beyond 1e-9 relative";
  return "";
}

ProbeReport run_parity_probe(Backend& candidate, Backend& reference) {
  ProbeReport report;
  for (const ProbePath& path : probe_paths())
    report.rows.push_back(run_path(path, candidate, reference));
  return report;
}

SelftestSubject selftest_subject(const std::string& backend_name, int threads) {
  if (backend_name != "auto" && backend_name != "cpu" && backend_name != "cuda")
    choose_backend(backend_name, threads);  // throws the ConfigError that names the choices
  SelftestSubject subject;
  if (backend_name != "cpu") {
    subject.no_device = cuda_unusable_reason();
#if KMLUT_HAVE_CUDA
    if (subject.no_device.empty()) {
      subject.candidate = choose_backend("cuda", threads).backend;
      subject.reference = make_cpu_backend(threads);
      subject.description =
          "the CUDA backend on " + cuda::device_description() + " against the CPU backend";
      return subject;
    }
#endif
  }
  subject.candidate = make_cpu_backend(threads);
  subject.reference = make_cpu_backend(1);
  subject.description = "the CPU backend against the CPU backend on one thread";
  return subject;
}

std::vector<SelftestSubject> selftest_subjects(const std::string& backend_name, int threads,
                                               const std::string& devices) {
  std::vector<SelftestSubject> subjects;
  if (backend_name == "cpu" && !devices.empty())
    choose_backend(backend_name, threads, devices);  // throws the ConfigError that says why
#if KMLUT_HAVE_CUDA
  if (!devices.empty() && backend_name != "cpu" && cuda_unusable_reason().empty()) {
    for (int device : parse_device_list(devices, cuda::device_count())) {
      SelftestSubject& subject = subjects.emplace_back();
      subject.candidate = choose_backend("cuda", threads, std::to_string(device)).backend;
      subject.reference = make_cpu_backend(threads);
      subject.description = "the CUDA backend on device " + std::to_string(device) + " (" +
                            cuda::device_description(device) + ") against the CPU backend";
    }
    return subjects;
  }
#endif
  subjects.push_back(selftest_subject(backend_name, threads));
  return subjects;
}

}  // namespace kmlut::probe
