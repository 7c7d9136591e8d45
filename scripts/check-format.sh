#!/usr/bin/env bash
# Fails when a C++/CUDA source differs from the repository's .clang-format style.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.hpp' '*.cpp' '*.cu' '*.cuh')
((${#files[@]})) || exit 0
clang-format --dry-run --Werror "${files[@]}"
