#!/usr/bin/env bash
# The CUDA backend's checks on a GPU in one call of the device tool (docs/architecture.md §9),
# ending in one table: the build, the GPU tests with KMLUT_REQUIRE_GPU=1 (a skip is a failure),
# compute-sanitizer memcheck, racecheck and initcheck on a small batch, and the GPU benchmark. Every
# step has a time limit; together they fit in 8 minutes on a fresh H100.
#
#   scripts/gpu-check.sh prepare   here, on the development machine (no GPU needed): builds the
#                                  GPU tests and the benchmark for sm_90 into build/gpu-check-bin.
#                                  The device image has CMake, ninja and nvcc but may lack the
#                                  Debian libraries (yaml-cpp, RE2, GoogleTest, Google Benchmark),
#                                  and building here saves device time. The programs need only
#                                  the C and C++ runtimes (the CUDA runtime is linked statically).
#   scripts/gpu-check.sh           on the device, with carry ["build/gpu-check-bin"]: runs those
#                                  programs; without them it builds there (needs the libraries).
# Logs go to $OUT when set (the device tool returns them), else to build/gpu-check-logs.
# Status: written without a GPU; it has not run on one yet.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=build/gpu-check-bin

configure_and_build() {
  cmake -S . -B build/gpu-check -G Ninja -DCMAKE_BUILD_TYPE=Release -DKMLUT_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DKMLUT_BUILD_BENCH=ON -DKMLUT_BUILD_CLI=OFF \
    -DKMLUT_WARNINGS_AS_ERRORS=ON -DPython3_EXECUTABLE="${PYTHON:-$(command -v python3)}" &&
    cmake --build build/gpu-check --target kmlut_gpu_tests kmlut_bench_cuda -j "$(nproc)" &&
    mkdir -p "$bin" &&
    cp build/gpu-check/tests/kmlut_gpu_tests build/gpu-check/bench/kmlut_bench_cuda "$bin/"
}

export bin
export -f configure_and_build

if [[ ${1:-} == prepare ]]; then
  PYTHON=${PYTHON:-$PWD/.venv/bin/python} configure_and_build || exit 1
  echo "built $bin; carry it: run scripts/gpu-check.sh with carry [\"$bin\"]"
  exit 0
fi

logs=${OUT:-build/gpu-check-logs}
mkdir -p "$logs"
export KMLUT_REQUIRE_GPU=1
declare -a rows=()
step() {  # step NAME TIMEOUT COMMAND...
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS
  if timeout "$limit" "$@" >"$logs/$name.log" 2>&1; then
    rows+=("$name|ok|$((SECONDS - start)) s")
  else
    rows+=("$name|FAILED ($logs/$name.log)|$((SECONDS - start)) s")
  fi
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$logs/device.log" 2>&1
if [[ -x $bin/kmlut_gpu_tests && -x $bin/kmlut_bench_cuda ]]; then
  rows+=("build|prebuilt ($bin)|0 s")
else
  step build 300 bash -c configure_and_build
fi
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
small=--gtest_filter=CudaTest.SmallBatchForTheSanitizers
step gpu-tests 150 "$bin/kmlut_gpu_tests"
step memcheck 90 "$sanitizer" --tool memcheck --error-exitcode 1 "$bin/kmlut_gpu_tests" "$small"
step racecheck 120 "$sanitizer" --tool racecheck --error-exitcode 1 "$bin/kmlut_gpu_tests" "$small"
step initcheck 90 "$sanitizer" --tool initcheck --error-exitcode 1 "$bin/kmlut_gpu_tests" "$small"
step bench 240 "$bin/kmlut_bench_cuda"

echo "device: $(cat "$logs/device.log")"
grep -E '^(device:|\|)' "$logs/bench.log" 2>/dev/null
printf '| %-10s | %-50s | %-8s |\n' step result time
printf '|%s|%s|%s|\n' "------------" "----------------------------------------------------" "----------"
status=0
for row in "${rows[@]}"; do
  IFS='|' read -r name result time <<<"$row"
  printf '| %-10s | %-50s | %-8s |\n' "$name" "$result" "$time"
  [[ $result == ok || $result == prebuilt* ]] || status=1
done
exit $status
