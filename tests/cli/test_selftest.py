#!/usr/bin/env python3
"""Tests of `kmlut selftest` (docs/cuda-backend.md, "The parity probe"): one row per probe path
with its size, result and time, and the documented exit codes: 0 when every path matched on the
backend asked for, 4 when the CUDA backend was asked for but no device can run it (the first line
says why, and the CPU backend is probed instead), 2 for an unknown backend or for --devices with the
CPU backend; with --devices, one table per device.

Usage: test_selftest.py KMLUT_BINARY WORK_DIR
"""
import subprocess
import sys
from checks import FAILURES, check

PATHS = 17  # 16 paths and all of them in one batch (host/backends/probe/probe_cases.cpp)


def selftest(*args):
    return subprocess.run([KMLUT, "selftest", *args], capture_output=True, text=True, timeout=600)


def rows(stdout):
    lines = stdout.splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("path ")), None)
    if header is None:
        return []
    return [line for line in lines[header + 2:] if line and not line.startswith("selftest")]


def main():
    global KMLUT
    KMLUT = sys.argv[1]
    cpu = selftest("--backend", "cpu", "--threads", "2")
    check(cpu.returncode == 0, f"--backend cpu: exit {cpu.returncode}: {cpu.stderr}")
    table = rows(cpu.stdout)
    check(len(table) == PATHS, f"one row per path: {len(table)} rows\n{cpu.stdout}")
    check(all(" identical " in row and row.rstrip().endswith("ms") for row in table),
          "every row: identical, with a time")
    check(any("KiB" in row for row in table), "rows give the size")
    for backend in ("auto", "cuda"):
        result = selftest("--backend", backend)
        if result.stdout.startswith("no usable CUDA device: "):
            check(result.returncode == 4, f"--backend {backend} without a device: exit "
                  f"{result.returncode}, expected 4")
            check("no GPU was checked" in result.stderr, "the message says no GPU was checked")
            check(len(rows(result.stdout)) == PATHS, "the CPU backend is probed instead")
        else:
            check(result.returncode == 0, f"--backend {backend} on a device: exit "
                  f"{result.returncode}\n{result.stdout}")
    unknown = selftest("--backend", "tpu")
    check(unknown.returncode == 2, f"an unknown backend is a usage error: exit {unknown.returncode}")
    # --devices (docs/cuda-backend.md, "Several GPUs"): for the CUDA backend only.
    cpu_devices = selftest("--backend", "cpu", "--devices", "0")
    check(cpu_devices.returncode == 2 and "needs the cuda or auto backend" in cpu_devices.stderr,
          f"--devices with --backend cpu is a usage error: exit {cpu_devices.returncode}: "
          f"{cpu_devices.stderr}")
    every = selftest("--backend", "cuda", "--devices", "all")
    if every.stdout.startswith("no usable CUDA device: "):
        check(every.returncode == 4, f"--devices all without a device: exit {every.returncode}")
    else:
        tables = every.stdout.count("probing the CUDA backend on device ")
        check(every.returncode == 0 and tables >= 1,
              f"--devices all: one table per device, exit {every.returncode}\n{every.stdout}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
