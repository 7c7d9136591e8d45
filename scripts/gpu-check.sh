#!/usr/bin/env bash
# Everything GPU-side in one call of the device tool (DESIGN §6): build with CUDA required, run the
# GPU tests with KMLUT_REQUIRE_GPU=1 (a skip is a failure), run compute-sanitizer memcheck and
# racecheck on them, and end with one table. Each step has a timeout so the whole fits in minutes.
# Status: written without a GPU; it has not run on one yet (see the issue notes).
set -uo pipefail
cd "$(dirname "$0")/.."
export KMLUT_REQUIRE_GPU=1
declare -a rows=()
step() {  # step NAME TIMEOUT COMMAND...
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS
  if timeout "$limit" "$@" >"build/gpu-check-$name.log" 2>&1; then
    rows+=("$name|ok|$((SECONDS - start)) s")
  else
    rows+=("$name|FAILED (build/gpu-check-$name.log)|$((SECONDS - start)) s")
  fi
}
mkdir -p build
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >build/gpu-check-device.log 2>&1
step configure 120 cmake --preset cuda -DKMLUT_BUILD_CLI=OFF -DPython3_EXECUTABLE="$(command -v python3)"
step build 300 cmake --build --preset cuda --target kmlut_gpu_tests -j "$(nproc)"
step gpu-tests 120 build/cuda/tests/kmlut_gpu_tests
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
step memcheck 180 "$sanitizer" --tool memcheck --error-exitcode 1 build/cuda/tests/kmlut_gpu_tests
step racecheck 180 "$sanitizer" --tool racecheck --error-exitcode 1 build/cuda/tests/kmlut_gpu_tests
echo "device: $(cat build/gpu-check-device.log)"
printf '| %-10s | %-45s | %-8s |\n' step result time
printf '|%s|%s|%s|\n' "------------" "-----------------------------------------------" "----------"
status=0
for row in "${rows[@]}"; do
  IFS='|' read -r name result time <<<"$row"
  printf '| %-10s | %-45s | %-8s |\n' "$name" "$result" "$time"
  [[ $result == ok ]] || status=1
done
exit $status
