#!/usr/bin/env python3
"""A palettize run that fills its disk fails cleanly: exit 1 naming the output, nothing left on
the disk, the input untouched. The disk is a 2 MiB tmpfs, which takes root to mount: elsewhere the
test skips with the reason, and in CI (KMLUT_REQUIRE_ORACLES=1, as root) not mounting it is a
failure.

Usage: test_full_disk.py KMLUT_BINARY WORK_DIR
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cannot_run import cannot_run, required  # noqa: E402
from safetensors_numpy import write_fp16_checkpoint  # noqa: E402
from checks import FAILURES, check  # noqa: E402


def mount_small_tmpfs(path):
    """Mounts a 2 MiB tmpfs at `path`; returns why not, or None."""
    os.makedirs(path, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", path],
                            capture_output=True, text=True)
    return None if result.returncode == 0 else (result.stderr.strip() or f"exit {result.returncode}")


def main():
    kmlut, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    disk = os.path.join(work, "full-disk")
    why_not = mount_small_tmpfs(disk)
    if why_not is not None:
        cannot_run(f"cannot mount a tmpfs at {disk} ({why_not})",
                   must_run=required() and os.geteuid() == 0)
    try:
        big = os.path.join(work, "for-full-disk.safetensors")
        write_fp16_checkpoint(big, 4, 1024, 1024, seed=3)  # 8 MiB in, ~2 MiB out: does not fit
        with open(big, "rb") as f:
            before = f.read()
        output = os.path.join(disk, "out.safetensors")
        result = subprocess.run([kmlut, "palettize", big, output, "--preset", "w8"],
                                capture_output=True, text=True, timeout=300)
        check(result.returncode == 1 and "out.safetensors" in result.stderr,
              f"a full disk fails cleanly ({result.returncode}: {result.stderr})")
        check(os.listdir(disk) == [], f"nothing is left on the full disk: {os.listdir(disk)}")
        with open(big, "rb") as f:
            check(f.read() == before, "the input is untouched")
    finally:
        subprocess.run(["umount", disk], capture_output=True)
    print(f"{len(FAILURES)} failure(s)")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
