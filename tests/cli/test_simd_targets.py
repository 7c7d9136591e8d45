#!/usr/bin/env python3
"""The instruction set chosen at run time must not change a byte: `kmlut palettize` runs the same
vector and scalar palettization with KMLUT_SIMD forcing each target this processor supports (read
from /proc/cpuinfo here, not from kmlut) and with 1 and 2 threads, and every output file must be
identical; a target that is unknown, or that the processor lacks, is refused with a message.

Usage: test_simd_targets.py KMLUT_BINARY WORK_DIR
"""
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import FAILURES, check  # noqa: E402

CONFIG = {"kmeans_palettization_config": {
    "global_config": {"enable_fast_kmeans_mode": False,
                      "op_state_spec": {"weight": {"n_bits": 4}}},
    "module_name_configs": {
        "d2": {"enable_fast_kmeans_mode": False,
                   "op_state_spec": {"weight": {"n_bits": 8, "cluster_dim": 2}}},
        "d4": {"enable_fast_kmeans_mode": False,
                   "op_state_spec": {"weight": {"n_bits": 6, "cluster_dim": 4}}},
        "d8": {"enable_fast_kmeans_mode": False,
                   "op_state_spec": {"weight": {"n_bits": 4, "cluster_dim": 8,
                                                "granularity": {"type": "per_grouped_channel",
                                                                "group_size": 32}}}},
    }}}


def processor_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        raw = array.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def metadata_of(data):
    length = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + length])["__metadata__"]


def palettize(kmlut, source, config, output, target, threads):
    env = dict(os.environ, KMLUT_SIMD=target)
    result = subprocess.run([kmlut, "palettize", source, output, "--config", config, "--threads",
                             str(threads), "--force", "--quiet"], env=env, capture_output=True,
                            text=True, timeout=600)
    return result.returncode, result.stderr


def main():
    kmlut, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = np.random.default_rng(5)
    tensors = {f"{name}.weight": (rng.standard_t(4, size=(rows, cols)) * 0.02).astype(np.float32)
               for name, rows, cols in (("d2", 256, 96), ("d4", 128, 160), ("d8", 256, 64),
                                        ("scalar", 64, 48))}
    source = os.path.join(work, "model.safetensors")
    write_safetensors(source, tensors)
    config = os.path.join(work, "config.json")
    with open(config, "w") as f:
        json.dump(CONFIG, f)

    flags = processor_flags()
    targets = ["baseline"] + [t for t, flag in (("avx2", "avx2"), ("avx512", "avx512f"))
                              if flag in flags]
    print("targets:", ", ".join(targets))
    outputs = {}
    for target in targets:
        for threads in (1, 2):
            output = os.path.join(work, f"out-{target}-{threads}.safetensors")
            code, err = palettize(kmlut, source, config, output, target, threads)
            if check(code == 0, f"KMLUT_SIMD={target} --threads {threads} exits 0 ({code}: {err})"):
                with open(output, "rb") as f:
                    outputs[(target, threads)] = f.read()
    reference = outputs.get(("baseline", 1))
    if reference is not None:
        entries = json.loads(metadata_of(reference)["kmlut.tensors"])
        dims = {name: entries[name]["cluster_dim"] for name in tensors}
        check(dims == {"d2.weight": 2, "d4.weight": 4, "d8.weight": 8, "scalar.weight": 1},
              f"the vector and scalar paths both ran: cluster_dim {dims}")
    for key, data in outputs.items():
        check(data == reference, f"KMLUT_SIMD={key[0]} --threads {key[1]}: the same bytes as "
                                 "baseline with 1 thread")

    code, err = palettize(kmlut, source, config, os.path.join(work, "bad.safetensors"),
                          "avx1024", 1)
    check(code != 0 and "KMLUT_SIMD=avx1024" in err, f"an unknown target is refused ({code}: {err})")
    if "avx512f" not in flags:
        code, err = palettize(kmlut, source, config, os.path.join(work, "bad.safetensors"),
                              "avx512", 1)
        check(code != 0 and "KMLUT_SIMD=avx512" in err,
              f"an unsupported target is refused ({code}: {err})")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
