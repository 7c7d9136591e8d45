#!/usr/bin/env bash
# The Python package's tests (.ci/run, through scripts/test.sh): `pip install .` into a fresh venv
# (build/python-venv), then pytest on tests/python against the CLI of build/${KMLUT_PRESET:-default}.
# torch and coreai_opt (the parity oracles) come from .venv-oracle (scripts/oracle-venv.sh, which
# scripts/test.sh runs first) through a .pth file, so that the package is installed alone but
# tested against the real coreai_opt.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${KMLUT_PRESET:-default}
cli=build/$preset/host/cli/kmlut
[[ -x $cli ]] || { echo "python-tests: build the $preset preset first ($cli)" >&2; exit 1; }

venv=build/python-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check . pytest
if [[ -x .venv-oracle/bin/python ]]; then
  oracle_site=$(.venv-oracle/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$oracle_site" >"$site/kmlut-oracle.pth"
fi
# Run from outside the checkout so that `import kmlut` is the installed package, not python/.
cd tests/python
KMLUT_CLI=$OLDPWD/$cli "$OLDPWD/$venv/bin/python" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning .
