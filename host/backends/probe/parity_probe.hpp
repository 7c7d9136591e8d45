// The parity probe: a fixed set of small tensors (a few hundred KB) that covers every path a
// device backend may take (scalar exact and fast mode in each dtype, each granularity, per-channel
// scale, the all-values path, vector palettization, LUT quantization, sensitivities, skips, many
// tensors in one batch), run on a backend under test and on a reference backend and compared bit
// for bit. "auto" uses the CUDA backend only when it passes (backend_registry.cpp); `kmlut
// selftest` prints the rows (docs/cuda-backend.md, "The parity probe").
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "kmlut/palettize.hpp"

namespace kmlut::probe {

// One path of the probe: its requests, run as one batch.
struct ProbeRow {
  std::string path;       // "scalar f16 per-tensor w4 exact", ...
  std::size_t bytes = 0;  // weight bytes in
  bool matched = false;   // every request's result is the reference's
  std::string mismatch;   // otherwise: the first request and field that differ, or the error
  double seconds = 0.0;   // the backend under test's time for the batch
};

struct ProbeReport {
  std::vector<ProbeRow> rows;

  bool passed() const;
  // "" when passed, else the first failing row's path and mismatch.
  std::string first_failure() const;
};

// Runs every path on `candidate` and `reference`. An exception from the candidate fails its row
// (and the probe goes on); one from the reference propagates.
ProbeReport run_parity_probe(Backend& candidate, Backend& reference);

// Why two results of the same request differ ("LUT bytes", "packed indices", ...), or "" when
// they are the same: every output byte, shape and dtype equal, SSE and ‖W‖² to 1e-9 relative (the
// device sums them in another order; they are reported, not written).
std::string result_difference(const PalettizeResult& candidate, const PalettizeResult& reference);

// What `kmlut selftest --backend NAME` compares: the CUDA backend (for "cuda" and "auto" when a
// device works) or the CPU backend on `threads` threads, with the CPU backend as the reference
// (on one thread when the candidate is the CPU, so the probe still compares two schedules).
struct SelftestSubject {
  std::unique_ptr<Backend> candidate;
  std::unique_ptr<Backend> reference;
  std::string description;  // "the CUDA backend on <device> against the CPU backend", ...
  std::string no_device;    // why the CUDA backend cannot run here, when NAME asked for it
};

// Throws ConfigError (choose_backend's) for a name other than auto, cpu or cuda.
SelftestSubject selftest_subject(const std::string& backend_name, int threads);

// One subject per device of `devices` (choose_backend's device list; "" = device 0): each selected
// device's CUDA backend is probed on its own, against the CPU backend. Without a usable device,
// or for "cpu" (ConfigError with a device list), the one subject of selftest_subject.
std::vector<SelftestSubject> selftest_subjects(const std::string& backend_name, int threads,
                                               const std::string& devices);

}  // namespace kmlut::probe
