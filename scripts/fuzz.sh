#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz": clang + ASan + UBSan) and runs each for a fixed time
# budget from its seed corpus. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
for target in fuzz_safetensors_header fuzz_config fuzz_kmlut_file fuzz_manifest; do
  corpus_name=${target#fuzz_}
  work=build/fuzz/corpus-$corpus_name
  mkdir -p "$work"
  cp -n tests/fuzz/corpus/"$corpus_name"/* "$work"/ 2>/dev/null || true
  echo "fuzz: $target for ${seconds}s" >&2
  build/fuzz/tests/fuzz/$target -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build/fuzz/ "$work" 2>&1 |
    grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' || true
  # libFuzzer exits non-zero on a finding; the pipeline above hides it, so check for artifacts.
  if compgen -G "build/fuzz/crash-*" >/dev/null || compgen -G "build/fuzz/leak-*" >/dev/null ||
     compgen -G "build/fuzz/timeout-*" >/dev/null; then
    echo "fuzz: $target found a failing input (see build/fuzz/)" >&2
    exit 1
  fi
done
