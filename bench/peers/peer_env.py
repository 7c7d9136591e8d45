"""The peers' Python environment: a venv of its own (bench/.peers-venv) with every peer tool
installed by pip, one package at a time, so that one that fails to install is recorded with its
error and reported as "not installed", never silently dropped. Also the machine facts a results
table is stamped with."""

import datetime
import importlib
import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_VENV = REPO / "bench" / ".peers-venv"
REEXEC_MARK = "KMLUT_PEERS_IN_VENV"

# pip requirement -> the module it provides. Order: what the driver itself needs first.
PACKAGES = {
    "numpy": "numpy",
    "safetensors": "safetensors",
    "matplotlib": "matplotlib",
    "threadpoolctl": "threadpoolctl",
    "scikit-learn": "sklearn",
    "kmeans1d": "kmeans1d",
    "coremltools": "coremltools",
    "faiss-cpu": "faiss",
}


def log(message):
    print(f"[peers {datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def ensure_venv(venv):
    """Re-runs the calling script with the venv's python, creating the venv when missing."""
    venv = Path(venv).resolve()
    python = venv / "bin" / "python"
    if Path(sys.prefix).resolve() == venv:
        return
    if os.environ.get(REEXEC_MARK):
        log(f"warning: not running inside {venv} after re-exec; going on with {sys.executable}")
        return
    if not python.exists():
        log(f"creating venv {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    os.environ[REEXEC_MARK] = "1"
    script = Path(sys.argv[0]).resolve()
    os.execv(str(python), [str(python), str(script)] + sys.argv[1:])


def install_peers(allow_install):
    """{pip requirement: None when importable, else "not installed: <why>"}."""
    status = {}
    for requirement, module in PACKAGES.items():
        importlib.invalidate_caches()
        if importlib.util.find_spec(module) is not None:
            status[requirement] = None
            continue
        if not allow_install:
            status[requirement] = "not installed: --no-install"
            continue
        log(f"pip install {requirement}")
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             requirement], capture_output=True, text=True)
        importlib.invalidate_caches()
        if result.returncode == 0 and importlib.util.find_spec(module) is not None:
            status[requirement] = None
        else:
            lines = (result.stderr or result.stdout or "").strip().splitlines()
            why = lines[-1] if lines else f"pip exited {result.returncode}"
            status[requirement] = f"not installed: {why}"
            log(f"{requirement}: {status[requirement]}")
    return status


def version_of(requirement):
    try:
        from importlib.metadata import version
        return version(requirement)
    except Exception:  # noqa: BLE001 - a missing package has no version
        return None


def git(*args):
    try:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine_facts():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = git("rev-parse", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " (work tree has uncommitted changes)"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "git_commit": commit,
        "load_average_start": list(os.getloadavg()),
        "versions": {name: version_of(name) for name in PACKAGES},
    }
