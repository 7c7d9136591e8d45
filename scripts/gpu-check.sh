#!/usr/bin/env bash
# The CUDA backend's first run on a GPU, in one call of the device tool (docs/cuda-backend.md,
# "Verifying on a GPU"), built so that no single failure can waste it: every step has a limit and a
# kill (timeout -k), the limits add up to less than 540 s, the most informative steps run first,
# each GPU test runs in its own process (a sticky CUDA error fails one test, not all later ones),
# the benchmark's rows are printed as they finish, and one table at the end names what failed.
#
#   scripts/gpu-check.sh prepare [BUILD_DIR]
#       Here, without a GPU: builds kmlut (the CLI, for `kmlut selftest`), kmlut_gpu_tests and
#       kmlut_bench_cuda for sm_90 into build/gpu-check (or takes them from BUILD_DIR), then
#       assembles build/gpu-check-bin. The device image may lack yaml-cpp, RE2, ...: every library
#       a program needs besides the C/C++ runtimes and libcuda is copied beside it, with an
#       $ORIGIN run path (patchelf), and `check` proves it with readelf -d.
#   scripts/gpu-check.sh assemble FOLDER PROGRAM...   copies programs and their libraries; checks
#   scripts/gpu-check.sh check FOLDER                 the readelf -d check alone
#   scripts/gpu-check.sh [run] [FOLDER]
#       On the device, with carry ["build/gpu-check-bin"]: ldd and nvidia-smi, then `kmlut
#       selftest --backend cuda` (the smoke test), the benchmark, every GPU test, and
#       compute-sanitizer memcheck, racecheck and initcheck on a small batch.
#
# Logs and the table (summary.md) go to $OUT when set (the device tool returns it), else to
# build/gpu-check-logs. GPU_CHECK_TIME_DIVISOR divides every limit (tests/gpu_check runs the device
# half with stub programs that hang, crash and fail, in seconds instead of minutes).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

# ---------------------------------------------------------------- the folder (no GPU needed)

# Libraries a carried program may need from the device image: the C and C++ runtimes, and the
# CUDA driver (the CUDA runtime is linked statically).
runtime_library='^(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux-x86-64|libcuda)\.so'

elf_files() { find "$1" -maxdepth 1 -type f -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; -print; }

# Every NEEDED library of every ELF file in FOLDER is a runtime, or lies in FOLDER and the file's
# run path holds $ORIGIN. Prints each violation; fails when there is one.
check_folder() {
  local folder=$1 file needed runpath bad=0 count=0
  command -v readelf >/dev/null || { echo "check: readelf (binutils) is missing" >&2; return 1; }
  while IFS= read -r file; do
    count=$((count + 1))
    runpath=$(readelf -d "$file" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\2/p')
    while IFS= read -r needed; do
      [[ $needed =~ $runtime_library ]] && continue
      if [[ -f $folder/$needed && ":$runpath:" == *':$ORIGIN:'* ]]; then
        continue
      fi
      echo "check: $(basename "$file") needs $needed, which is neither a C/C++ runtime nor" \
        "beside it with an \$ORIGIN run path (run path: '${runpath}')" >&2
      bad=1
    done < <(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  done < <(elf_files "$folder")
  ((count > 0)) || { echo "check: no program in $folder" >&2; return 1; }
  ((bad == 0)) && echo "check: $count ELF files in $folder need only runtimes or each other"
  return $bad
}

# Copies PROGRAMs into FOLDER with every library they load that is not a runtime, and gives them
# all an $ORIGIN run path; then checks the folder.
assemble() {
  local folder=$1 program name path
  shift
  command -v patchelf >/dev/null ||
    { echo "assemble: patchelf is missing (scripts/bootstrap.sh test installs it)" >&2; return 1; }
  mkdir -p "$folder"
  for program in "$@"; do
    cp -f "$program" "$folder/"
    while read -r name path; do
      [[ $name =~ $runtime_library || ! -f $path ]] && continue
      cp -fL "$path" "$folder/$name"
    done < <(ldd "$program" | awk '$2 == "=>" { print $1, $3 }')
  done
  while IFS= read -r path; do
    chmod u+w "$path" && patchelf --set-rpath '$ORIGIN' "$path" || return 1
  done < <(elf_files "$folder")
  check_folder "$folder"
}

prepare() {
  local build=${1:-build/gpu-check} python
  local programs=("$build/host/cli/kmlut" "$build/tests/kmlut_gpu_tests"
                  "$build/bench/kmlut_bench_cuda")
  if [[ -z ${1:-} ]]; then
    python=$(command -v python3)
    [[ -x .venv/bin/python ]] && python=$PWD/.venv/bin/python
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKMLUT_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DKMLUT_BUILD_BENCH=ON -DKMLUT_BUILD_CLI=ON \
      -DKMLUT_WARNINGS_AS_ERRORS=ON -DPython3_EXECUTABLE="$python" >/dev/null &&
      cmake --build "$build" --target kmlut_cli kmlut_gpu_tests kmlut_bench_cuda \
        -j "${GPU_CHECK_JOBS:-$(nproc)}" || return 1
  fi
  rm -rf build/gpu-check-bin
  assemble build/gpu-check-bin "${programs[@]}" || return 1
  echo "prepared build/gpu-check-bin; on the device run scripts/gpu-check.sh with carry" \
    "[\"build/gpu-check-bin\"]"
}

case ${1:-run} in
  prepare) shift; prepare "$@"; exit ;;
  assemble) shift; assemble "$@"; exit ;;
  check) check_folder "$2"; exit ;;
  run) shift ;;
  *) ;;
esac

# ---------------------------------------------------------------- on the device

bin=${1:-build/gpu-check-bin}
logs=${OUT:-build/gpu-check-logs}
divisor=${GPU_CHECK_TIME_DIVISOR:-1}
grace=3  # seconds between SIGTERM and SIGKILL
mkdir -p "$logs/tests"
export KMLUT_REQUIRE_GPU=1  # a GPU test that skips fails

# Step limits in seconds, in the order the steps run. With one kill grace per step they add up to
# under 540 s, the device tool's 600 s per command less room for the table and the transfer.
declare -A limit=([ldd]=10 [nvidia-smi]=10 [selftest]=45 [bench]=130 [gpu-tests]=140
                  [memcheck]=45 [racecheck]=60 [initcheck]=45)
total=0
for step in "${!limit[@]}"; do total=$((total + limit[$step] + grace)); done
((total < 540)) || { echo "gpu-check: step limits add up to $total s, not under 540" >&2; exit 2; }

seconds() { awk -v s="$1" -v d="$divisor" 'BEGIN { printf "%.3f", s / d }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# How a command ended, from its exit status.
outcome() {
  case $1 in
    0) echo ok ;;
    124 | 137) echo "TIMEOUT" ;;
    *) if (($1 > 128)); then echo "CRASHED (signal $(($1 - 128)))"; else echo "FAILED (exit $1)"; fi ;;
  esac
}

declare -a rows=() failing=()
status=0
add_row() {  # NAME RESULT TIME [DETAIL]; a '|' in a cell would split it
  local detail=${4:-}
  rows+=("$1|${2//|/ }|$3|${detail//|/ }")
  [[ $2 == ok* ]] || status=1
}

# step NAME LIMIT_SECONDS COMMAND...: output to the log and, line by line, to stdout.
step() {
  local name=$1 max=$2 start rc
  shift 2
  start=$(now)
  echo "== $name (limit $(seconds "$max") s): $*"
  timeout -k "$(seconds "$grace")" "$(seconds "$max")" stdbuf -oL -eL "$@" 2>&1 |
    tee "$logs/$name.log"
  rc=${PIPESTATUS[0]}
  last_outcome=$(outcome "$rc")
  last_time=$(elapsed "$start")
}

# The last line a step printed: what it was doing when it hung or crashed.
last_line() { grep -v '^[[:space:]]*$' "$1" | tail -n 1 | cut -c1-200; }

# The first failure message of a gtest log: the lines after its first "Failure", or its last
# lines when it has none (a crash, a timeout, a fixture that threw).
first_failure() {
  local message
  message=$(grep -m1 -A3 -E 'Failure$|^unknown file: error' "$1" | tr '\n' ' ')
  [[ -n $message ]] || message=$(tail -n 3 "$1" | tr '\n' ' ')
  echo "${message:-(no output)}" | cut -c1-300
}

# ldd first: a missing library explains every later failure.
start=$(now)
ldd_rc=0
for program in "$bin"/kmlut "$bin"/kmlut_gpu_tests "$bin"/kmlut_bench_cuda; do
  if [[ ! -e $program ]]; then
    echo "missing: $program (run scripts/gpu-check.sh prepare here, then carry $bin)"
    ldd_rc=1
    continue
  fi
  echo "== ldd $program"
  libraries=$(timeout -k "$(seconds 1)" "$(seconds 2)" ldd "$program" 2>&1)  # 3 x 3 s < limit
  echo "$libraries"
  [[ $libraries != *"not found"* ]] || ldd_rc=1
done >"$logs/ldd.log" 2>&1
cat "$logs/ldd.log"
add_row ldd "$( ((ldd_rc == 0)) && echo ok || echo "FAILED: $(grep -m3 -E 'not found|missing' "$logs/ldd.log" | tr '\n' ' ')")" "$(elapsed "$start")"

step nvidia-smi "${limit[nvidia-smi]}" bash -c \
  'nvidia-smi && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader'
device=$(last_line "$logs/nvidia-smi.log" | tr -d '|' | tr -s ' ' | sed 's/^ //' | cut -c1-100)
add_row nvidia-smi "$last_outcome" "$last_time" "$device"

step selftest "${limit[selftest]}" "$bin/kmlut" selftest --backend cuda
verdict=$(grep -m1 -E 'DIFFERS|selftest (passed|failed)|no usable CUDA device|error' \
  "$logs/selftest.log" | cut -c1-200)
add_row selftest "$last_outcome" "$last_time" "${verdict:-$(last_line "$logs/selftest.log")}"

step bench "${limit[bench]}" "$bin/kmlut_bench_cuda"
add_row bench "$last_outcome" "$last_time" "$(grep -c '^|' "$logs/bench.log") table lines"

# Every GPU test in its own process, within the step's limit.
start=$(now)
tests=()
if timeout -k 1 "$(seconds 20)" "$bin/kmlut_gpu_tests" --gtest_list_tests >"$logs/tests/list.log" 2>&1; then
  mapfile -t tests < <(awk '/^[^ ]/ { suite = $1 } /^  [^ ]/ { print suite $1 }' "$logs/tests/list.log")
fi
passed=0
for test in "${tests[@]}"; do
  left=$(awk -v b="${limit[gpu-tests]}" -v a="$start" -v n="$(now)" -v d="$divisor" \
    'BEGIN { printf "%d", b - (n - a) * d }')
  if ((left < 2 * grace)); then
    failing+=("$test|NOT RUN (no time left in the step)")
    continue
  fi
  per_test=$((left - grace < 60 ? left - grace : 60))
  log="$logs/tests/${test//\//_}.log"  # parameterized names hold slashes
  timeout -k "$(seconds "$grace")" "$(seconds "$per_test")" "$bin/kmlut_gpu_tests" \
    --gtest_filter="$test" >"$log" 2>&1
  rc=$?
  if ((rc == 0)); then
    passed=$((passed + 1))
  else
    failing+=("$test|$(outcome "$rc"): $(first_failure "$log")")
  fi
  echo "$test: $(outcome "$rc")" | tee -a "$logs/gpu-tests.log"
done
if ((${#tests[@]} == 0)); then
  add_row gpu-tests "FAILED: no test listed" "$(elapsed "$start")" "$(tail -n 2 "$logs/tests/list.log" | tr '\n' ' ')"
elif ((${#failing[@]} == 0)); then
  add_row gpu-tests ok "$(elapsed "$start")" "$passed of ${#tests[@]} passed"
else
  add_row gpu-tests "FAILED" "$(elapsed "$start")" "$passed of ${#tests[@]} passed, ${#failing[@]} failed"
fi

sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
small=--gtest_filter=CudaTest.SmallBatchForTheSanitizers
for tool in memcheck racecheck initcheck; do
  step "$tool" "${limit[$tool]}" "$sanitizer" --tool "$tool" --error-exitcode 1 \
    "$bin/kmlut_gpu_tests" "$small"
  verdict=$(grep -m1 'ERROR SUMMARY' "$logs/$tool.log" | sed 's/^=* *//')
  add_row "$tool" "$last_outcome" "$last_time" "${verdict:-$(last_line "$logs/$tool.log")}"
done

{
  echo
  echo "device: ${device:-unknown}"
  printf '| %-10s | %-22s | %-8s | %s\n' step result time detail
  printf '|%s|%s|%s|%s\n' ------------ ------------------------ ---------- --------
  for row in "${rows[@]}"; do
    IFS='|' read -r name result time detail <<<"$row"
    printf '| %-10s | %-22s | %-8s | %s\n' "$name" "$result" "$time" "$detail"
  done
  if ((${#failing[@]})); then
    echo
    echo "failing GPU tests (logs in $logs/tests/):"
    for entry in "${failing[@]}"; do echo "- ${entry%%|*}: ${entry#*|}"; done
  fi
  echo
  echo "gpu-check: $( ((status == 0)) && echo passed || echo FAILED); logs in $logs"
} | tee "$logs/summary.md"
exit $status
