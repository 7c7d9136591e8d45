#!/usr/bin/env python3
"""The C ABI from outside: installs the build into a scratch prefix, builds tests/consumer-c/main.c
as C99 twice -- through find_package(kmlut) and through pkg-config -- and checks that both give,
byte for byte, what `kmlut palettize` writes for the same tensor and spec: each part, the unpacked
indices (against an independent numpy unpacking of the CLI's packed bytes), the reconstruction
(against `kmlut decode`), the whole checkpoint written through kmlut_palettize_checkpoint, and the
report's tensor entries.

Usage: test_c_consumer.py CMAKE KMLUT_BUILD_DIR KMLUT_CLI GENERATOR WORK_DIR
"""
import glob
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
sys.path.insert(0, os.path.join(HERE, "..", "data"))
from make_checkpoint import write_safetensors  # noqa: E402
from safetensors_numpy import read_safetensors  # noqa: E402

NAME = "layers.0.proj.weight"
SPECS = {
    "grouped_scale": {"n_bits": 4,
                      "granularity": {"type": "per_grouped_channel", "axis": 0, "group_size": 16},
                      "enable_per_channel_scale": True},
    "lut_qspec": {"n_bits": 3, "granularity": {"type": "per_tensor"},
                  "lut_qspec": {"dtype": "int8", "qscheme": "asymmetric"}},
}
PARTS = {"lut.bin": ".lut", "packed_indices.bin": ".indices", "scale.bin": ".scale",
         "lut_scale.bin": ".lut_scale", "lut_zero_point.bin": ".lut_zero_point"}
FAILURES = []


def check(condition, what):
    print(("ok:   " if condition else "FAIL: ") + what)
    if not condition:
        FAILURES.append(what)


def run(*command, env=None):
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_consumers(cmake, build_dir, generator, work):
    prefix = os.path.join(work, "prefix")
    run(cmake, "--install", build_dir, "--prefix", prefix)
    cmake_build = os.path.join(work, "build-cmake")
    run(cmake, "-S", HERE, "-B", cmake_build, "-G", generator, f"-DCMAKE_PREFIX_PATH={prefix}",
        "-DCMAKE_BUILD_TYPE=Release")
    run(cmake, "--build", cmake_build)
    pc_files = glob.glob(os.path.join(prefix, "**", "pkgconfig", "kmlut.pc"), recursive=True)
    check(len(pc_files) == 1, "the install holds one kmlut.pc")
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pc_files[0]))
    flags = run("pkg-config", "--cflags", "--libs", "--static", "kmlut", env=env).split()
    pkg_binary = os.path.join(work, "consumer-pkg-config")
    run("cc", "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror",
        os.path.join(HERE, "main.c"), "-o", pkg_binary, *flags)
    return {"find_package": os.path.join(cmake_build, "kmlut_c_consumer"),
            "pkg-config": pkg_binary}


def unpack_lsb_first(packed, n_bits, count):
    bits = np.unpackbits(np.frombuffer(packed, dtype=np.uint8), bitorder="little")
    bits = bits[:count * n_bits].reshape(count, n_bits).astype(np.uint16)
    return (bits << np.arange(n_bits, dtype=np.uint16)).sum(axis=1).astype(np.uint8).tobytes()


def same_report_rows(c_report, cli_report):
    def rows(report):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in report["tensors"]]
    return rows(c_report) == rows(cli_report) and c_report["summary"] == cli_report["summary"]


def check_spec(label, spec, consumers, cli, work):
    rng = np.random.default_rng(7)
    weight = (rng.standard_t(4, size=(64, 32)) * 0.02).astype(np.float16)
    case = os.path.join(work, label)
    os.makedirs(case)
    checkpoint = os.path.join(case, "model.safetensors")
    write_safetensors(checkpoint, [(NAME, "F16", weight)], {"format": "pt"})
    raw = os.path.join(case, "weight.bin")
    weight.astype("<f2").tofile(raw)
    config = os.path.join(case, "config.json")
    with open(config, "w") as f:
        json.dump({"kmeans_palettization_config": {
            "global_config": {"op_state_spec": {"weight": spec}}}}, f)
    cli_out = os.path.join(case, "cli.safetensors")
    cli_report = os.path.join(case, "cli-report.json")
    run(cli, "palettize", checkpoint, cli_out, "--config", config, "--backend", "cpu",
        "--report", cli_report, "--quiet")
    decoded = os.path.join(case, "decoded.safetensors")
    run(cli, "decode", cli_out, decoded)
    stored, _ = read_safetensors(cli_out)
    dense, _ = read_safetensors(decoded)
    check(NAME + ".lut" in stored, f"{label}: the CLI palettized {NAME}")
    with open(cli_report) as f:
        expected_report = json.load(f)
    for how, binary in consumers.items():
        out = os.path.join(case, how)
        os.makedirs(out)
        run(binary, raw, "f16", "64", "32", json.dumps(spec), checkpoint, config, out)
        for file, suffix in PARTS.items():
            path = os.path.join(out, file)
            want = stored.get(NAME + suffix)
            got = open(path, "rb").read() if os.path.exists(path) else None
            check(got == (want[2] if want else None),
                  f"{label}/{how}: {file} equals the CLI's {NAME}{suffix}")
        indices = open(os.path.join(out, "indices.bin"), "rb").read()
        check(indices == unpack_lsb_first(stored[NAME + ".indices"][2], spec["n_bits"], weight.size),
              f"{label}/{how}: unpacked indices equal the CLI's packed bits")
        check(open(os.path.join(out, "dense.bin"), "rb").read() == dense[NAME][2],
              f"{label}/{how}: kmlut_result_dense equals `kmlut decode`")
        check(open(os.path.join(out, "checkpoint.safetensors"), "rb").read() ==
              open(cli_out, "rb").read(),
              f"{label}/{how}: kmlut_palettize_checkpoint wrote the CLI's file byte for byte")
        with open(os.path.join(out, "report.json")) as f:
            check(same_report_rows(json.load(f), expected_report),
                  f"{label}/{how}: the report's tensor rows and summary equal the CLI's")


def main():
    cmake, build_dir, cli, generator, work = sys.argv[1:6]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    consumers = build_consumers(cmake, build_dir, generator, work)
    for label, spec in SPECS.items():
        check_spec(label, spec, consumers, cli, work)
    if FAILURES:
        sys.exit(f"{len(FAILURES)} failures")
    print("c consumer: all checks passed")


if __name__ == "__main__":
    main()
