/* A C99 program over the installed kmlut.h. It palettizes one tensor read from a raw file and
 * writes each result part, and the reconstruction, to OUTDIR/<part>.bin; then it palettizes a
 * checkpoint with a config file into OUTDIR/checkpoint.safetensors and its report into
 * OUTDIR/report.json; then it checks the error paths. tests/consumer-c/test_c_consumer.py compares
 * the files with what `kmlut palettize` writes.
 *
 * usage: kmlut_c_consumer TENSOR.bin f16|f32 ROWS COLS SPEC_JSON CHECKPOINT CONFIG OUTDIR */
#include <kmlut/kmlut.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char* what) {
  fprintf(stderr, "kmlut_c_consumer: %s: %s\n", what, kmlut_last_error());
  return 1;
}

static void* read_file(const char* path, size_t size) {
  FILE* file = fopen(path, "rb");
  void* data = malloc(size);
  if (file == NULL || data == NULL || fread(data, 1, size, file) != size) {
    fprintf(stderr, "kmlut_c_consumer: cannot read %zu bytes from %s\n", size, path);
    exit(1);
  }
  fclose(file);
  return data;
}

static void write_file(const char* directory, const char* name, const void* data, size_t size) {
  char path[4096];
  FILE* file;
  snprintf(path, sizeof path, "%s/%s", directory, name);
  file = fopen(path, "wb");
  if (file == NULL || fwrite(data, 1, size, file) != size || fclose(file) != 0) {
    fprintf(stderr, "kmlut_c_consumer: cannot write %s\n", path);
    exit(1);
  }
}

static int write_parts(const kmlut_result* result, const char* directory, size_t dense_bytes) {
  static const struct {
    kmlut_part part;
    const char* file;
  } parts[] = {{KMLUT_PART_LUT, "lut.bin"},
               {KMLUT_PART_PACKED_INDICES, "packed_indices.bin"},
               {KMLUT_PART_INDICES, "indices.bin"},
               {KMLUT_PART_SCALE, "scale.bin"},
               {KMLUT_PART_LUT_SCALE, "lut_scale.bin"},
               {KMLUT_PART_LUT_ZERO_POINT, "lut_zero_point.bin"}};
  size_t i;
  void* dense;
  for (i = 0; i < sizeof parts / sizeof parts[0]; ++i) {
    kmlut_tensor_view view;
    if (kmlut_result_part(result, parts[i].part, &view))
      write_file(directory, parts[i].file, view.data, view.nbytes);
  }
  dense = malloc(dense_bytes);
  if (dense == NULL || kmlut_result_dense(result, dense, dense_bytes) != KMLUT_OK)
    return fail("kmlut_result_dense");
  write_file(directory, "dense.bin", dense, dense_bytes);
  free(dense);
  return 0;
}

/* Bad arguments come back as statuses with a message, never as a crash. */
static int check_errors(const void* data, const int64_t* shape) {
  kmlut_result* result = NULL;
  kmlut_palettize_options options;
  if (kmlut_palettize_tensor(data, KMLUT_DTYPE_F32, shape, 2, "{\"n_bits\": 9}", NULL, &result) !=
          KMLUT_ERROR_CONFIG ||
      result != NULL || strstr(kmlut_last_error(), "n_bits") == NULL) {
    fprintf(stderr, "kmlut_c_consumer: n_bits 9 was not a config error: %s\n", kmlut_last_error());
    return 1;
  }
  if (kmlut_palettize_tensor(NULL, KMLUT_DTYPE_F32, shape, 2, "{}", NULL, &result) !=
      KMLUT_ERROR_INVALID_ARGUMENT) {
    fprintf(stderr, "kmlut_c_consumer: a NULL tensor was accepted\n");
    return 1;
  }
  kmlut_palettize_options_init(&options);
  options.backend = "tpu";
  if (kmlut_palettize_tensor(data, KMLUT_DTYPE_F32, shape, 2, "{}", &options, &result) !=
      KMLUT_ERROR_CONFIG) {
    fprintf(stderr, "kmlut_c_consumer: backend \"tpu\" was accepted\n");
    return 1;
  }
  if (kmlut_palettize_checkpoint("/nonexistent.safetensors", "/tmp/x.safetensors", NULL, NULL) ==
      KMLUT_OK) {
    fprintf(stderr, "kmlut_c_consumer: a missing checkpoint was accepted\n");
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  int64_t shape[2];
  size_t element_size, numel;
  kmlut_dtype dtype;
  void* data;
  kmlut_palettize_options options;
  kmlut_checkpoint_options checkpoint_options;
  kmlut_result* result = NULL;
  char* report = NULL;
  char path[4096];
  if (argc != 9) {
    fprintf(stderr, "usage: %s TENSOR.bin f16|f32 ROWS COLS SPEC_JSON CHECKPOINT CONFIG OUTDIR\n",
            argv[0]);
    return 2;
  }
  dtype = strcmp(argv[2], "f16") == 0 ? KMLUT_DTYPE_F16 : KMLUT_DTYPE_F32;
  element_size = dtype == KMLUT_DTYPE_F16 ? 2 : 4;
  shape[0] = strtoll(argv[3], NULL, 10);
  shape[1] = strtoll(argv[4], NULL, 10);
  numel = (size_t)(shape[0] * shape[1]);
  data = read_file(argv[1], numel * element_size);
  printf("kmlut %s\n", kmlut_version());

  kmlut_palettize_options_init(&options);
  options.backend = "cpu";
  if (kmlut_palettize_tensor(data, dtype, shape, 2, argv[5], &options, &result) != KMLUT_OK)
    return fail("kmlut_palettize_tensor");
  if (!kmlut_result_palettized(result)) {
    fprintf(stderr, "kmlut_c_consumer: skipped: %s\n", kmlut_result_skip_reason(result));
    return 1;
  }
  printf("sse %.17g\n", kmlut_result_sse(result));
  if (write_parts(result, argv[8], numel * element_size) != 0)
    return 1;
  kmlut_result_free(result);

  kmlut_checkpoint_options_init(&checkpoint_options);
  checkpoint_options.config_path = argv[7];
  checkpoint_options.backend = "cpu";
  snprintf(path, sizeof path, "%s/checkpoint.safetensors", argv[8]);
  if (kmlut_palettize_checkpoint(argv[6], path, &checkpoint_options, &report) != KMLUT_OK)
    return fail("kmlut_palettize_checkpoint");
  write_file(argv[8], "report.json", report, strlen(report));
  kmlut_string_free(report);

  if (check_errors(data, shape) != 0)
    return 1;
  free(data);
  printf("c consumer ok\n");
  return 0;
}
