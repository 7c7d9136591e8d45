// Palettizing tensors: one tensor and its resolved spec in, LUTs + indices (+ scale) out, in the
// kmlut v1 layout (docs/format.md). Backends run batches of such requests; the CPU backend is the
// reference every other backend must match byte for byte on the scalar path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kmlut/dtype.hpp"
#include "kmlut/format.hpp"
#include "kmlut/plan.hpp"
#include "kmlut/spec.hpp"

namespace kmlut {

// A dense, row-major tensor in memory (not owned).
struct TensorView {
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  const void* data = nullptr;

  std::uint64_t numel() const;
};

struct PalettizeRequest {
  std::string name;  // for messages
  TensorView weight;
  PalettizationSpec spec;  // resolved: a per_grouped_channel axis is 0 or 1, not null
  std::string op_type;     // the consuming op ("linear", "conv2d", ...; "" when none)
  bool enable_fast_kmeans_mode = true;
  int rounding_precision = 4;
  std::uint64_t seed = 0;  // the vector path's k-means++ seed; the scalar path is exact
  // Optional importance of each element (same shape as the weight, a float dtype; data null =
  // none): normalized as coreai_opt does, then weights the k-means objective.
  TensorView sensitivity;
  // Set by a caller that has already run preflight_skip_reason with check_values on these values
  // (the pipeline does, to plan the output before clustering): the backend then does not read
  // the whole tensor once more to look for non-finite values.
  bool values_checked = false;
};

// Where a backend's clustering time went, in seconds summed over blocks (blocks run side by side,
// so the sum can pass the wall time): counting or sorting each block's values, the exact 1-D
// k-means, assigning the indices with the error measured on the way, packing the indices. The CPU
// backend's scalar path fills it; other paths leave zeros.
struct BackendPhaseSeconds {
  double unique = 0.0;
  double solve = 0.0;
  double assign = 0.0;
  double pack = 0.0;

  BackendPhaseSeconds& operator+=(const BackendPhaseSeconds& other) {
    unique += other.unique;
    solve += other.solve;
    assign += other.assign;
    pack += other.pack;
    return *this;
  }
};

struct PalettizeResult {
  bool palettized = false;
  std::string skip_reason;  // why the tensor stays dense, when it does

  // N.lut: [g_0 .. g_{r-1}, 2^n_bits, cluster_dim] in lut_dtype: the weight's dtype, or I8/U8
  // with lut_qspec.
  DType lut_dtype = DType::F32;
  std::vector<std::int64_t> lut_shape;
  std::vector<std::uint8_t> lut;
  std::size_t num_luts = 0;

  // With lut_qspec: N.lut_scale (the weight's dtype, [num_luts]) and N.lut_zero_point (lut_dtype
  // [num_luts]).
  std::vector<std::uint8_t> lut_scale;
  std::vector<std::uint8_t> lut_zero_point;

  // Indices of shape S_idx, one byte each, and the same LSB-first packed (N.indices).
  std::vector<std::int64_t> index_shape;
  std::vector<std::uint8_t> indices;
  std::vector<std::uint8_t> packed_indices;

  // N.scale: [S_0, 1, ..., 1] in the weight's dtype; empty without per-channel scale.
  std::vector<std::int64_t> scale_shape;
  std::vector<std::uint8_t> scale;

  double sse = 0.0;                    // Σ (W − Ŵ)² in float64 over the original values
  double weight_sq_norm = 0.0;         // Σ W², for the relative error ‖W − Ŵ‖ / ‖W‖
  std::size_t unique_path_blocks = 0;  // blocks clustered through the weighted-unique path
  std::size_t lloyd_iterations = 0;    // vector path: Lloyd iterations over all blocks and runs
  BackendPhaseSeconds phases;
};

// Decides, before any clustering, whether a request will be palettized: empty when it will, else
// the reason it stays dense (dtype, size, a group size or cluster_dim that does not divide, and
// with `check_values` non-finite values, which reads the data).
std::string preflight_skip_reason(const PalettizeRequest& request, bool check_values);

// The "kmlut.tensors" entry of a request's tensor: its name, shape, dtype and spec.
PalettizedTensorInfo describe_palettized(const PalettizeRequest& request);

// The shapes of the parts; only meaningful when preflight_skip_reason is empty. Backends size
// their results with it (the same rule the reader checks files against, kmlut/format.hpp).
PalettizedShapes palettized_shapes(const PalettizeRequest& request);

// The request for a plan job (`job.spec` set) over the tensor's data, as the pipeline builds it.
// Throws InputError when the view's dtype or shape differs from the job's, or when the job does
// not palettize its tensor.
PalettizeRequest make_palettize_request(const Job& job, const TensorView& weight,
                                        std::uint64_t seed = 0);

// A palettization backend. run_batch returns one result per request, in order; the scalar path
// is exact, so every backend gives the CPU backend's bytes. A sensitivity tensor whose shape
// differs from its weight's, or that holds negative or non-finite values, is an InputError naming
// the tensor.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual std::vector<PalettizeResult> run_batch(const std::vector<PalettizeRequest>& requests) = 0;
  PalettizeResult run(const PalettizeRequest& request) { return run_batch({request}).front(); }
};

// The CPU backend: every block of every request is a task on `threads` threads (0 = all cores).
// Results are byte-identical for any thread count.
std::unique_ptr<Backend> make_cpu_backend(int threads = 0);

// A backend and why it was chosen; the library prints nothing, the caller may show `reason`.
struct BackendChoice {
  std::unique_ptr<Backend> backend;
  std::string reason;  // e.g. why "auto" chose the CPU; empty for an explicit name
};

// A backend by name: "cpu", "cuda" or "auto" (CUDA when a device works, else the CPU). Throws Error
// naming what is missing when "cuda" cannot run here, ConfigError for an unknown name.
// `devices`: the CUDA devices, "" for device 0, "all", or numbers like "0,1"; with several, one
// CUDA backend per device shares each batch by cost (docs/cuda-backend.md, "Several GPUs"), with
// one device's bytes. ConfigError for a malformed list, or a list with the "cpu" backend.
BackendChoice choose_backend(const std::string& name, int threads = 0,
                             const std::string& devices = "");

// choose_backend(name, threads).backend, for callers that do not report the reason.
std::unique_ptr<Backend> make_backend(const std::string& name, int threads = 0);

}  // namespace kmlut
