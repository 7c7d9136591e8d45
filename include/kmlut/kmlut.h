/* kmlut's C ABI (C99): palettize one tensor or a whole checkpoint from any language that can call
 * C. Reference: docs/c-api.md.
 *
 * Conventions:
 *  - Every function that can fail returns a kmlut_status; on failure kmlut_last_error() gives the
 *    message (the CLI's wording), valid in the calling thread until its next kmlut call.
 *  - Options structs start with their size: initialise them with their *_init function, which sets
 *    the size and the defaults, so a library built with a larger struct still reads yours.
 *  - Results are opaque handles the caller frees; no C++ exception crosses this boundary.
 */
#ifndef KMLUT_KMLUT_H
#define KMLUT_KMLUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kmlut_status {
  KMLUT_OK = 0,
  KMLUT_ERROR_CONFIG = 1,  /* invalid config, spec or option (the CLI's exit code 2) */
  KMLUT_ERROR_INPUT = 2,   /* malformed input file or tensor (the CLI's exit code 3) */
  KMLUT_ERROR_RUNTIME = 3, /* IO, a missing backend, ... (the CLI's exit code 1) */
  KMLUT_ERROR_OUT_OF_MEMORY = 4,
  KMLUT_ERROR_INVALID_ARGUMENT = 5 /* a null pointer, a bad struct_size, an unknown enum value */
} kmlut_status;

/* Element types, the safetensors names. */
typedef enum kmlut_dtype {
  KMLUT_DTYPE_F16 = 0,
  KMLUT_DTYPE_BF16 = 1,
  KMLUT_DTYPE_F32 = 2,
  KMLUT_DTYPE_F64 = 3,
  KMLUT_DTYPE_U8 = 4,
  KMLUT_DTYPE_I8 = 5
} kmlut_dtype;

/* The parts of a palettized tensor N; see docs/format.md for their layout. */
typedef enum kmlut_part {
  KMLUT_PART_LUT = 0,            /* N.lut: [g..., 2^n_bits, cluster_dim] */
  KMLUT_PART_PACKED_INDICES = 1, /* N.indices: U8 [bytes], LSB-first bitstream */
  KMLUT_PART_INDICES = 2,        /* the same indices unpacked, one U8 each */
  KMLUT_PART_SCALE = 3,          /* N.scale, with enable_per_channel_scale */
  KMLUT_PART_LUT_SCALE = 4,      /* N.lut_scale, the weight's dtype [num_luts], with lut_qspec */
  KMLUT_PART_LUT_ZERO_POINT = 5  /* N.lut_zero_point, [num_luts], with lut_qspec */
} kmlut_part;

/* The library's version, e.g. "0.1.0". */
const char* kmlut_version(void);

/* The message of the calling thread's last failed call ("" when none). */
const char* kmlut_last_error(void);

/* ---- one tensor ---------------------------------------------------------------------------- */

typedef struct kmlut_palettize_options {
  size_t struct_size;      /* sizeof(kmlut_palettize_options), set by _init */
  int fast_mode;           /* enable_fast_kmeans_mode; default 1 */
  int rounding_precision;  /* default 4 */
  const char* backend;     /* "auto" (default), "cpu" or "cuda" */
  int threads;             /* 0 (default) = all cores */
  uint64_t seed;           /* the vector path's k-means++ seed; default 0 */
  const char* op_type;     /* consuming op ("linear", "conv_transpose2d", ...); NULL = none.
                              Picks the axis of a per_grouped_channel spec whose axis is null. */
  const void* sensitivity; /* per-element importances, same shape as the weight; NULL = none */
  kmlut_dtype sensitivity_dtype;
} kmlut_palettize_options;

void kmlut_palettize_options_init(kmlut_palettize_options* options);

typedef struct kmlut_result kmlut_result;

/* Palettizes a dense row-major tensor (not copied; read during the call only). spec_json is one
 * PalettizationSpec in the config schema's field names, e.g.
 * {"n_bits": 4, "granularity": {"type": "per_grouped_channel", "axis": 0, "group_size": 16}}.
 * options may be NULL (defaults). A tensor that cannot be palettized is not an error: the result
 * says it was skipped and why. */
kmlut_status kmlut_palettize_tensor(const void* data, kmlut_dtype dtype, const int64_t* shape,
                                    size_t ndim, const char* spec_json,
                                    const kmlut_palettize_options* options, kmlut_result** result);

/* 1 when palettized, 0 when skipped. */
int kmlut_result_palettized(const kmlut_result* result);
/* Why it was skipped ("" when palettized). Owned by the result. */
const char* kmlut_result_skip_reason(const kmlut_result* result);
/* Σ (W − Ŵ)² in float64. */
double kmlut_result_sse(const kmlut_result* result);

/* A read-only view of a part, owned by the result. */
typedef struct kmlut_tensor_view {
  const void* data;
  size_t nbytes;
  kmlut_dtype dtype;
  size_t ndim;
  const int64_t* shape;
} kmlut_tensor_view;

/* Fills *view and returns 1 when the result has the part, else zeroes it and returns 0. */
int kmlut_result_part(const kmlut_result* result, kmlut_part part, kmlut_tensor_view* view);

/* The reconstruction Ŵ (the weight's dtype and shape) into out, which holds out_bytes bytes
 * (numel · element size). */
kmlut_status kmlut_result_dense(const kmlut_result* result, void* out, size_t out_bytes);

void kmlut_result_free(kmlut_result* result);

/* ---- a checkpoint -------------------------------------------------------------------------- */

typedef struct kmlut_checkpoint_options {
  size_t struct_size;             /* sizeof(kmlut_checkpoint_options), set by _init */
  const char* config_path;        /* JSON or YAML file; at most one of path, json and preset */
  const char* config_json;        /* a whole config document as JSON text */
  const char* preset;             /* "w4", "w6" or "w8"; all three NULL = coreai_opt's default */
  const char* manifest_path;      /* docs/manifest.md; NULL = inferred from tensor names */
  const char* backend;            /* "auto" (default), "cpu" or "cuda" */
  int threads;                    /* 0 (default) = all cores */
  uint64_t memory_budget;         /* bytes in flight; 0 (default) = a quarter of free memory */
  uint64_t seed;                  /* default 0 */
  int strict;                     /* a selected tensor that cannot be palettized is an error */
  int force;                      /* replace an existing output */
  const char* sensitivities_path; /* per-element importances checkpoint; NULL = none */
} kmlut_checkpoint_options;

void kmlut_checkpoint_options_init(kmlut_checkpoint_options* options);

/* `kmlut palettize input output`: writes the same files. When report_json is not NULL it receives
 * the --report document (free it with kmlut_string_free). */
kmlut_status kmlut_palettize_checkpoint(const char* input, const char* output,
                                        const kmlut_checkpoint_options* options,
                                        char** report_json);

void kmlut_string_free(char* text);

#ifdef __cplusplus
}
#endif

#endif /* KMLUT_KMLUT_H */
