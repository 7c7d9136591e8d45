#!/usr/bin/env bash
# The main job (README's first command): installs what is missing, builds kmlut, generates a sample
# checkpoint, palettizes it with the w4 preset on the best available backend and verifies the result.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh main
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target kmlut_cli
mkdir -p sample
.venv/bin/python tests/data/make_checkpoint.py sample/model.safetensors
kmlut=build/default/host/cli/kmlut
"$kmlut" palettize sample/model.safetensors sample/model-w4.safetensors --preset w4 \
  --report sample/report.json --force
echo
"$kmlut" verify sample/model.safetensors sample/model-w4.safetensors
echo
echo "palettized checkpoint: sample/model-w4.safetensors; report: sample/report.json"
