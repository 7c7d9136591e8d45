#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz": clang + ASan + UBSan) and runs each for a fixed time
# budget from its seed corpus. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
# Every file libFuzzer writes here (crash-, leak-, timeout-, oom-, slow-unit-...) is a finding; one
# stays a failure, as a reproducer, until it is removed after the fix.
findings=build/fuzz/findings
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
for target in fuzz_safetensors_header fuzz_config fuzz_kmlut_file fuzz_manifest; do
  corpus_name=${target#fuzz_}
  work=build/fuzz/corpus-$corpus_name
  mkdir -p "$work" "$findings"
  cp -n tests/fuzz/corpus/"$corpus_name"/* "$work"/ 2>/dev/null || true
  echo "fuzz: $target for ${seconds}s" >&2
  log=build/fuzz/$target.log
  status=0
  build/fuzz/tests/fuzz/$target -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/$target-" "$work" \
    >"$log" 2>&1 || status=$?
  grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' "$log" >&2 || true
  if ((status != 0)) || [[ -n "$(ls -A "$findings")" ]]; then
    echo "fuzz: $target exited $status; findings in $findings: $(ls -A "$findings" | tr '\n' ' ')" >&2
    echo "fuzz: the last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
done
