#!/usr/bin/env bash
# The main job (README's first command): installs what is missing, builds kmlut, generates a sample
# checkpoint and runs the tool on it. Until the clustering engine lands this shows `kmlut inspect`
# and the w4 `kmlut plan` of the sample.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target kmlut_cli
mkdir -p sample
.venv/bin/python tests/data/make_checkpoint.py sample/model.safetensors
kmlut=build/default/host/cli/kmlut
"$kmlut" inspect sample/model.safetensors
echo
"$kmlut" plan sample/model.safetensors --preset w4
