#!/usr/bin/env python3
"""The memory floor the roofline in docs/benchmarks.md uses: single-thread read bandwidth
(numpy sum over a 1 GiB array, best of 5) and copy bandwidth (read + write)."""
import time

import numpy as np

data = np.ones(1 << 27, dtype=np.float64)  # 1 GiB
target = np.empty_like(data)
read, copy = [], []
for _ in range(5):
    start = time.perf_counter()
    data.sum()
    read.append(data.nbytes / (time.perf_counter() - start))
    start = time.perf_counter()
    np.copyto(target, data)
    copy.append(2 * data.nbytes / (time.perf_counter() - start))
print(f"read {max(read) / 1e9:.1f} GB/s, copy (read + write) {max(copy) / 1e9:.1f} GB/s, one thread")
