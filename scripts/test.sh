#!/usr/bin/env bash
# The whole test suite (README's second command; .ci/run calls it): installs what is missing,
# builds once per configuration, then runs the unit, CLI and install tests, the same suite under
# ASan + UBSan, the fuzz targets for a fixed budget, and the format check.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
scripts/oracle-venv.sh  # coreai_opt 0.3.0 for the parity suite (tests/cli/test_coreai_parity.py)
export KMLUT_REQUIRE_ORACLES=1  # a test oracle that cannot run is a failure here, not a skip
jobs=$(nproc)

echo "== build and test (preset default: CUDA backend when nvcc exists)" >&2
cmake --preset default >/dev/null
cmake --build --preset default -j "$jobs"
ctest --preset default -j "$jobs"

echo "== the Python package: pip install . into a fresh venv, pytest" >&2
scripts/python-tests.sh

echo "== build and test under AddressSanitizer + UndefinedBehaviorSanitizer" >&2
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
# The install test, the real checkpoint, the coreai_opt parity suite and the model-directory kills
# (slow under ASan: minutes each, the same code paths as the faster tests here) run once, above.
ctest --preset asan -j "$jobs" -E '^install\.|^cli\.real_checkpoint|^cli\.coreai_|^cli\.model_directory'

echo "== fuzz the parsers" >&2
scripts/fuzz.sh "${KMLUT_FUZZ_SECONDS:-30}"

echo "== format" >&2
scripts/check-format.sh
echo "all tests passed" >&2
