"""The weight is read in place and the GIL is released: palettizing a 256 MiB C-contiguous array
raises the process's peak RSS by less than the array's size (a copy would add all of it, as the
strided control shows), and a Python thread keeps running while palettize does."""
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np

import kmlut
from conftest import heavy_tailed, require

SPEC = {"n_bits": 2, "granularity": {"type": "per_grouped_channel", "axis": 0, "group_size": 512}}

# Runs in a fresh interpreter so that its peak RSS (a high-water mark) starts low: VmHWM, the new
# address space's own mark (getrusage's ru_maxrss also keeps the parent's across fork and exec).
# The weight is filled in slices so that no temporary of its size raises the mark beforehand.
PEAK_SCRIPT = r"""
import json, sys
import numpy as np
import kmlut
def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
kind, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
spec = json.loads(sys.argv[4])
if kind == "torch":
    import torch
    weight = torch.empty((rows, cols), dtype=torch.float32)
    fill = weight.numpy()
else:
    # "strided": the transpose of a C array, which nanobind must copy to read contiguously.
    weight = np.empty((rows, cols) if kind == "numpy" else (cols, rows), np.float32)
    fill = weight
rng = np.random.default_rng(0)
for start in range(0, fill.shape[0], 256):
    fill[start:start + 256] = rng.standard_normal((min(256, fill.shape[0] - start),
                                                   fill.shape[1]), dtype=np.float32) * 0.02
if kind == "strided":
    weight = weight.T
before = peak_kib()
result = kmlut.palettize(weight, spec)
after = peak_kib()
assert result.palettized, result.skip_reason
print(json.dumps({"input_mib": rows * cols * 4 / 2**20, "growth_mib": (after - before) / 1024}))
"""


def peak_growth(kind, rows, cols):
    done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, kind, str(rows), str(cols),
                           json.dumps(SPEC)], capture_output=True, text=True, check=True)
    measured = json.loads(done.stdout)
    print(f"{kind}: input {measured['input_mib']:.0f} MiB, peak RSS growth "
          f"{measured['growth_mib']:.1f} MiB")
    return measured


def test_a_256_mib_numpy_weight_is_not_copied():
    contiguous = peak_growth("numpy", 8192, 8192)
    assert contiguous["input_mib"] == 256
    # Working memory: one index byte per element (64 MiB), the packed indices, the LUTs.
    assert contiguous["growth_mib"] < contiguous["input_mib"]
    strided = peak_growth("strided", 8192, 8192)
    assert strided["growth_mib"] >= strided["input_mib"] + contiguous["growth_mib"] * 0.5


def test_a_torch_weight_is_not_copied():
    require("torch")
    measured = peak_growth("torch", 4096, 4096)
    assert measured["growth_mib"] < measured["input_mib"]


def test_python_threads_run_while_palettize_works():
    weight = heavy_tailed((4096, 2048), 21)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    time.sleep(0.05)
    start = time.monotonic()
    kmlut.palettize(weight, {"n_bits": 6}, threads=1)
    end = time.monotonic()
    stop.set()
    thread.join()
    during = [t for t in ticks if start < t < end]
    print(f"palettize took {end - start:.2f} s; the other thread ticked {len(during)} times")
    # With the GIL held for the whole call the ticker could not run at all until it returned.
    assert len(during) >= 10
