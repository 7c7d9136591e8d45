"""Re-runs the calling test script inside .venv-oracle (scripts/oracle-venv.sh), where coreai_opt
0.3.0, torch and safetensors live. Without that venv the test fails under KMLUT_REQUIRE_ORACLES=1
and is skipped (exit 77) otherwise. Imports nothing beyond the standard library."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORACLE_PYTHON = os.path.join(ROOT, ".venv-oracle", "bin", "python")
SKIP = 77


def reexec_in_oracle_venv(script):
    if os.environ.get("KMLUT_IN_ORACLE_VENV") == "1":
        return
    if not os.path.exists(ORACLE_PYTHON):
        message = "coreai_opt oracle venv missing: run scripts/oracle-venv.sh"
        if os.environ.get("KMLUT_REQUIRE_ORACLES") == "1":
            print("FAIL:", message)
            sys.exit(1)
        print("SKIP:", message)
        sys.exit(SKIP)
    os.environ["KMLUT_IN_ORACLE_VENV"] = "1"
    os.execv(ORACLE_PYTHON, [ORACLE_PYTHON, os.path.abspath(script), *sys.argv[1:]])
