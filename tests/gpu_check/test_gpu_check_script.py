#!/usr/bin/env python3
"""Tests of scripts/gpu-check.sh without a GPU.

1. `assemble` copies built programs (the CLI, a GoogleTest binary) with every library they need
   besides the C/C++ runtimes and libcuda, gives them an $ORIGIN run path, and `check` (readelf -d)
   accepts the folder; `check` rejects a folder where the CLI's yaml-cpp and RE2 are missing; the
   assembled CLI runs with its copied libraries.
2. The device half runs with the GPU programs, nvidia-smi and compute-sanitizer replaced by stubs
   that hang (ignoring SIGTERM), crash and fail. The table must still come out, within the
   script's limits (scaled down by GPU_CHECK_TIME_DIVISOR), with one row per step saying what
   happened, the failing tests with their first failure message, the sanitizers' error summaries,
   and every log under $OUT. With stubs that pass, the script passes.

Usage: test_gpu_check_script.py SCRIPT CLI TEST_PROGRAM WORK_DIR
"""
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from checks import FAILURES, check

DIVISOR = 20
# The script's step limits plus one 3 s kill grace each (scripts/gpu-check.sh), in seconds.
LIMITS_WITH_GRACE = 10 + 10 + 45 + 130 + 140 + 45 + 60 + 45 + 8 * 3

HANG = "trap '' TERM; sleep 1000\n"

GPU_TESTS_STUB = r"""#!/bin/bash
[[ ${STUB_MODE:-} == pass ]] && { [[ $1 == --gtest_list_tests ]] && printf 'CudaTest.\n  Passes\n'; exit 0; }
case $1 in
  --gtest_list_tests)
    printf 'CudaTest.\n  Passes\n  Fails\n  Crashes\n  Hangs\n'
    printf 'Sizes/ParamTest.\n  Case/0  # GetParam() = 4\n' ;;
  --gtest_filter=CudaTest.Passes | --gtest_filter=Sizes/ParamTest.Case/0) echo "[  PASSED  ] 1 test." ;;
  --gtest_filter=CudaTest.Fails)
    printf 'test_cuda_backend.cpp:97: Failure\nExpected equality of these values:\n  gpu.lut\n'
    exit 1 ;;
  --gtest_filter=CudaTest.Crashes) kill -SEGV $$ ;;
  --gtest_filter=CudaTest.Hangs) trap '' TERM; sleep 1000 ;;
  --gtest_filter=CudaTest.SmallBatchForTheSanitizers) exit 0 ;;
  *) echo "stub: unexpected $*"; exit 3 ;;
esac
"""

CLI_STUB = """#!/bin/bash
[[ ${STUB_MODE:-} == pass ]] && { echo "selftest passed: every path gave the reference's bits"; exit 0; }
echo "probing the CUDA backend"
""" + HANG

BENCH_STUB = """#!/bin/bash
echo "| 4096x11008 fp16 w4 per-tensor | 1.0 |"
echo "| 4096x11008 fp16 w4 group-16 | 2.0 |"
[[ ${STUB_MODE:-} == pass ]] && exit 0
""" + HANG

NVIDIA_SMI_STUB = """#!/bin/bash
echo "| NVIDIA H100 80GB HBM3 (stub)  On | 00000000:00:00.0 Off |"
"""

SANITIZER_STUB = """#!/bin/bash
[[ ${STUB_MODE:-} == pass ]] && { echo "========= ERROR SUMMARY: 0 errors"; exit 0; }
case $2 in
  memcheck) echo "========= Invalid __global__ read of size 4"
            echo "========= ERROR SUMMARY: 3 errors"; exit 1 ;;
  racecheck) """ + HANG + """ ;;
  initcheck) kill -ABRT $$ ;;
esac
"""


def write_stub(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def run(*args, env=None, timeout=600):
    return subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=timeout)


def test_folder(work):
    folder = os.path.join(work, "folder")
    result = run(SCRIPT, "assemble", folder, CLI, TEST_PROGRAM)
    check(result.returncode == 0, f"assemble: exit {result.returncode}: {result.stderr}")
    names = os.listdir(folder)
    check(any(n.startswith("libyaml-cpp") for n in names) and any(n.startswith("libre2") for n in names),
          f"the CLI's yaml-cpp and RE2 are copied beside it: {names}")
    dynamic = run("readelf", "-d", os.path.join(folder, os.path.basename(CLI))).stdout
    check("[$ORIGIN]" in dynamic, "the CLI's run path is $ORIGIN")
    # The copies are what the assembled CLI loads, and it runs.
    ldd = run("ldd", os.path.join(folder, os.path.basename(CLI))).stdout
    check(re.search(r"libyaml-cpp\S* => " + re.escape(os.path.realpath(folder)), ldd) is not None or
          re.search(r"libyaml-cpp\S* => " + re.escape(folder), ldd) is not None,
          f"the assembled CLI loads its yaml-cpp from the folder:\n{ldd}")
    version = run(os.path.join(folder, os.path.basename(CLI)), "--version")
    check(version.returncode == 0 and "kmlut" in version.stdout, "the assembled CLI runs")
    # A folder with the CLI alone, libraries missing: check must name them.
    bare = os.path.join(work, "bare")
    os.makedirs(bare)
    shutil.copy(CLI, bare)
    result = run(SCRIPT, "check", bare)
    check(result.returncode != 0 and "libyaml-cpp" in result.stderr and "libre2" in result.stderr,
          f"check rejects a CLI without its libraries: exit {result.returncode}: {result.stderr}")


def stub_environment(work, mode):
    bin_dir = os.path.join(work, mode, "bin")
    tools = os.path.join(work, mode, "tools")
    os.makedirs(bin_dir)
    os.makedirs(tools)
    write_stub(os.path.join(bin_dir, "kmlut"), CLI_STUB)
    write_stub(os.path.join(bin_dir, "kmlut_gpu_tests"), GPU_TESTS_STUB)
    write_stub(os.path.join(bin_dir, "kmlut_bench_cuda"), BENCH_STUB)
    write_stub(os.path.join(tools, "nvidia-smi"), NVIDIA_SMI_STUB)
    write_stub(os.path.join(tools, "compute-sanitizer"), SANITIZER_STUB)
    out = os.path.join(work, mode, "out")
    env = dict(os.environ, OUT=out, GPU_CHECK_TIME_DIVISOR=str(DIVISOR), STUB_MODE=mode,
               PATH=tools + os.pathsep + os.environ["PATH"])
    return bin_dir, out, env


def table_rows(summary):
    """{step: (result, detail)} from the table in summary.md."""
    rows = {}
    for line in summary.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 5 and cells[1] and not cells[1].startswith("-") and cells[1] != "step":
            rows[cells[1]] = (cells[2], cells[4])
    return rows


def test_failing_device(work):
    bin_dir, out, env = stub_environment(work, "fail")
    budget = LIMITS_WITH_GRACE / DIVISOR
    start = time.monotonic()
    result = run(SCRIPT, "run", bin_dir, env=env, timeout=budget + 60)
    seconds = time.monotonic() - start
    check(seconds < budget + 10, f"the stubbed run took {seconds:.1f} s, over its limits ({budget:.1f} s)")
    check(result.returncode == 1, f"the stubbed run fails: exit {result.returncode}")
    summary_path = os.path.join(out, "summary.md")
    if not check(os.path.exists(summary_path), "summary.md is written under $OUT"):
        print(result.stdout[-3000:], result.stderr[-3000:])
        return
    summary = open(summary_path).read()
    check(summary in result.stdout, "the table is also printed")
    rows = table_rows(summary)
    expected = {
        "ldd": "ok", "nvidia-smi": "ok", "selftest": "TIMEOUT", "bench": "TIMEOUT",
        "gpu-tests": "FAILED", "memcheck": "FAILED (exit 1)", "racecheck": "TIMEOUT",
        "initcheck": "CRASHED (signal 6)",
    }
    check(list(rows) == list(expected), f"one row per step, in order: {list(rows)}")
    for step, result_text in expected.items():
        check(rows.get(step, ("",))[0] == result_text,
              f"{step}: '{rows.get(step, ('missing',))[0]}', expected '{result_text}'")
    check("H100" in rows.get("nvidia-smi", ("", ""))[1], "the device is named")
    check(rows.get("bench", ("", ""))[1] == "2 table lines",
          "the bench rows printed before the hang are kept")
    check(rows.get("gpu-tests", ("", ""))[1] == "2 of 5 passed, 3 failed", f"gpu-tests: {rows.get('gpu-tests')}")
    check("ERROR SUMMARY: 3 errors" in rows.get("memcheck", ("", ""))[1], "memcheck's error summary")
    check(re.search(r"- CudaTest.Fails: FAILED \(exit 1\): test_cuda_backend.cpp:97: Failure "
                    r"Expected equality", summary) is not None, "the failing test and its first failure")
    check("- CudaTest.Crashes: CRASHED (signal 11): (no output)" in summary, "the crashed test")
    check(rows.get("selftest", ("", ""))[1] == "probing the CUDA backend",
          "a hung step's row shows its last line")
    check("- CudaTest.Hangs: TIMEOUT" in summary, "the hung test")
    check("CudaTest.Passes" not in summary and "ParamTest" not in summary, "passing tests are not listed")
    for log in ["ldd.log", "nvidia-smi.log", "selftest.log", "bench.log", "memcheck.log",
                "racecheck.log", "initcheck.log", "tests/CudaTest.Fails.log",
                "tests/Sizes_ParamTest.Case_0.log"]:
        check(os.path.exists(os.path.join(out, log)), f"{log} is under $OUT")
    print(summary)


def test_passing_device(work):
    bin_dir, out, env = stub_environment(work, "pass")
    result = run(SCRIPT, "run", bin_dir, env=env, timeout=LIMITS_WITH_GRACE / DIVISOR + 60)
    check(result.returncode == 0, f"with stubs that pass, the script passes: exit {result.returncode}\n"
          f"{result.stdout[-2000:]}")


def main():
    global SCRIPT, CLI, TEST_PROGRAM
    SCRIPT, CLI, TEST_PROGRAM, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    test_folder(work)
    test_failing_device(work)
    test_passing_device(work)
    if FAILURES:
        print(f"{len(FAILURES)} failures")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
