#!/usr/bin/env bash
# Creates .venv-oracle, the venv that holds coreai_opt 0.3.0 (and torch, coremltools) for the
# parity suite, from scripts/requirements-oracle.txt. A second run with the same requirements is a
# no-op: the stamp (the requirements' hash) is written only once everything installed and coreai_opt
# compiled its bundled kmeans1d core (torch.utils.cpp_extension, at first use).
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=scripts/requirements-oracle.txt
venv=.venv-oracle
stamp=$venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ -x $venv/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "oracle-venv: preparing $venv from $requirements" >&2
rm -f "$stamp"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
# The first import builds the extension into torch's cache; doing it here keeps it out of test time.
"$venv/bin/python" -W ignore -c \
  'from coreai_opt.deps import _kmeans1d; print(_kmeans1d.cluster([0.0, 1.0, 5.0], 2))' >/dev/null
echo "$want" >"$stamp"
