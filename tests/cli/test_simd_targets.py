#!/usr/bin/env python3
"""The instruction set chosen at run time must not change a byte: `kmlut palettize` runs the same
vector and scalar palettization with KMLUT_SIMD forcing each target this processor supports (read
from /proc/cpuinfo here, not from kmlut) and with 1 and 2 threads, and every output file must be
identical; a target that is unknown, or that the processor lacks, is refused with a message. The
scalar configurations (per tensor, grouped along either axis, every n_bits coreai_opt takes, fast mode and all
values, per-channel scale, a block split into chunks) run on fp32, fp16 and bf16 files, and the
report's SSE of every tensor must be identical too.

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


# Scalar configurations, one per tensor (module) name: name -> (shape, its module config).
def scalar_spec(n_bits, fast=True, **weight):
    return {"enable_fast_kmeans_mode": fast, "op_state_spec": {"weight": dict(n_bits=n_bits, **weight)}}


SCALAR_MODULES = {
    **{f"pt{b}": ((64, 48), scalar_spec(b)) for b in (1, 2, 3, 4, 6, 8)},
    **{f"av{b}": ((64, 48), scalar_spec(b, fast=False)) for b in (1, 2, 3, 4, 6, 8)},
    "g0": ((64, 48), scalar_spec(4, granularity={"type": "per_grouped_channel", "group_size": 16})),
    "g1": ((48, 64), scalar_spec(3, fast=False, granularity={"type": "per_grouped_channel",
                                                             "axis": 1, "group_size": 8})),
    "g1fast": ((48, 70), scalar_spec(6, granularity={"type": "per_grouped_channel", "axis": 1,
                                                     "group_size": 7})),
    "scale": ((64, 48), scalar_spec(4, enable_per_channel_scale=True)),
    "chunks": ((600, 512), scalar_spec(4)),  # one block over two chunks of 2^18 elements
}
SCALAR_CONFIG = {"kmeans_palettization_config": {
    "global_config": None,
    "module_name_configs": {name: spec for name, (_, spec) in SCALAR_MODULES.items()}}}


def processor_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def stored_bytes(array, dtype):
    if dtype == "F16":
        return array.astype("<f2").tobytes()
    bits = array.astype("<f4").view("<u4")
    if dtype == "BF16":  # rounded to nearest even
        return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2").tobytes()
    return bits.tobytes()


def write_safetensors(path, tensors, dtype="F32"):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        raw = stored_bytes(array, dtype)
        header[name] = {"dtype": dtype, "shape": list(array.shape),
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


def palettize(kmlut, source, config, output, target, threads, report=None):
    env = dict(os.environ, KMLUT_SIMD=target)
    extra = ["--report", report] if report else []
    result = subprocess.run([kmlut, "palettize", source, output, "--config", config, "--threads",
                             str(threads), "--force", "--quiet"] + extra, env=env,
                            capture_output=True, text=True, timeout=600)
    return result.returncode, result.stderr


def check_scalar_configs(kmlut, work, targets):
    rng = np.random.default_rng(7)
    tensors = {f"{name}.weight": (rng.standard_t(4, size=shape) * 0.02).astype(np.float32)
               for name, (shape, _) in SCALAR_MODULES.items()}
    config = os.path.join(work, "scalar-config.json")
    with open(config, "w") as f:
        json.dump(SCALAR_CONFIG, f)
    for dtype in ("F32", "F16", "BF16"):
        source = os.path.join(work, f"scalar-{dtype}.safetensors")
        write_safetensors(source, tensors, dtype)
        outputs = {}
        for target in targets:
            for threads in (1, 2):
                output = os.path.join(work, f"scalar-{dtype}-{target}-{threads}.safetensors")
                report = output + ".json"
                code, err = palettize(kmlut, source, config, output, target, threads, report)
                if check(code == 0, f"{dtype} KMLUT_SIMD={target} --threads {threads} exits 0 "
                                    f"({code}: {err})"):
                    with open(output, "rb") as f, open(report) as r:
                        sse = {t["name"]: t["sse"] for t in json.load(r)["tensors"]}
                        outputs[(target, threads)] = (f.read(), sse)
        reference = outputs.get(("baseline", 1))
        if reference is None:
            continue
        check(all(reference[1][name] is not None and reference[1][name] > 0 for name in tensors),
              f"{dtype}: every scalar tensor was palettized and measured")
        for (target, threads), (data, sse) in outputs.items():
            check(data == reference[0], f"{dtype} KMLUT_SIMD={target} --threads {threads}: the "
                                        "same bytes as baseline with 1 thread")
            check(sse == reference[1], f"{dtype} KMLUT_SIMD={target} --threads {threads}: the "
                                       "same SSE per tensor as baseline with 1 thread")


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

    check_scalar_configs(kmlut, work, targets)

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
