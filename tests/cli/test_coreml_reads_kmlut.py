#!/usr/bin/env python3
"""Core ML reads kmlut v1 (docs/format.md, "Mapping to Core ML"), checked with coremltools 9's own
code on Linux:

- coremltools' restore_elements_from_packed_bits unpacks N.indices, and its
  pack_elements_into_bits packs those indices back to exactly N.indices, for n_bits 1-8;
- the iOS18 ops' decompress (constexpr_blockwise_shift_scale on an int8/uint8 LUT, then
  constexpr_lut_to_dense with vector_axis 0 for vector LUTs, then constexpr_blockwise_shift_scale
  for the per-channel scale) equals `kmlut decode` bit for bit, for scalar, grouped (axis 0 and
  1), vector and int8/uint8 LUTs in fp16 and fp32;
- a MIL program with mb.constexpr_lut_to_dense fed from kmlut's output, saved as an .mlpackage
  (skip_model_load: Linux cannot run it), stores kmlut's packed index bytes in its weight blob.

Runs in .venv-oracle (tests/oracles/oracle_venv.py). Usage: test_coreml_reads_kmlut.py KMLUT WORK
"""
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "oracles"))
from oracle_venv import reexec_in_oracle_venv  # noqa: E402

reexec_in_oracle_venv(__file__)

import logging  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

import numpy as np  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

import coremltools as ct  # noqa: E402
from coremltools.converters.mil import Builder as mb  # noqa: E402
from coremltools.converters.mil.mil import types  # noqa: E402
from coremltools.converters.mil.mil.ops.defs.iOS18.compression import (  # noqa: E402
    constexpr_blockwise_shift_scale, constexpr_lut_to_dense)
from coremltools.optimize._utils import (  # noqa: E402
    pack_elements_into_bits, restore_elements_from_packed_bits)
from checks import FAILURES, check  # noqa: E402

GROUP = "{type: per_grouped_channel, group_size: 8}"
GROUP_AXIS1 = "{type: per_grouped_channel, axis: 1, group_size: 8}"
# label -> the spec of every weight
SPECS = {
    "n1": "n_bits: 1",
    "n2_grouped": f"n_bits: 2, granularity: {GROUP}",
    "n3_axis1": f"n_bits: 3, granularity: {GROUP_AXIS1}",
    "n4_pcs": "n_bits: 4, enable_per_channel_scale: true",
    "n6_int8": f"n_bits: 6, granularity: {GROUP}, lut_qspec: {{dtype: int8, qscheme: symmetric}}",
    "n8_uint8": "n_bits: 8, lut_qspec: {dtype: uint8, qscheme: asymmetric}",
    "n4_vector": f"n_bits: 4, cluster_dim: 2, granularity: {GROUP}",
    "n3_vector_int8": "n_bits: 3, cluster_dim: 4, lut_qspec: {dtype: int8, qscheme: asymmetric}",
}


def run(*args):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=300)
    check(result.returncode == 0, f"kmlut {args[0]} exits 0 ({result.stderr.strip()[:300]})")


def checkpoint(dtype):
    rng = np.random.default_rng(3)
    shapes = {"fc.weight": (32, 24), "conv.weight": (16, 8, 3, 3), "proj.weight": (24, 16)}
    return {name: (rng.standard_t(4, size=shape) * 0.02).astype(dtype)
            for name, shape in shapes.items()}


def coreml_dense(parts, shape):
    """The weight as Core ML's iOS18 ops rebuild it from kmlut's parts."""
    lut = parts["lut"]
    n_bits = int(np.log2(lut.shape[-2]))
    vector_size = lut.shape[-1]
    index_shape = (shape[0] // vector_size, *shape[1:])
    count = int(np.prod(index_shape))
    indices = restore_elements_from_packed_bits(parts["indices"], n_bits, count)
    check(np.array_equal(pack_elements_into_bits(indices, n_bits), parts["indices"]),
          f"pack_elements_into_bits gives N.indices back ({n_bits} bits)")
    indices = indices.reshape(index_shape)
    if "lut_scale" in parts:  # an int8/uint8 LUT: constexpr_blockwise_shift_scale first
        grid = (*lut.shape[:-2], 1, 1)
        offset = parts.get("lut_zero_point", np.zeros(parts["lut_scale"].shape, lut.dtype))
        lut = constexpr_blockwise_shift_scale.decompress(
            lut, parts["lut_scale"].reshape(grid), offset.reshape(grid))
    dense = constexpr_lut_to_dense.decompress(indices, lut, 0 if vector_size > 1 else None)
    if "scale" in parts:
        dense = constexpr_blockwise_shift_scale.decompress(dense, parts["scale"], None)
    return dense, indices, n_bits


def mil_program_stores_kmlut_bytes(parts, indices, n_bits, work, label):
    lut = parts["lut"]
    sub_byte = getattr(types, f"np_uint{n_bits}_dtype") if n_bits < 8 else np.uint8
    vector_axis = 0 if lut.shape[-1] > 1 else None

    @mb.program(input_specs=[mb.TensorSpec(shape=(1,), dtype=types.fp16)],
                opset_version=ct.target.iOS18)
    def program(x):
        table = lut.astype(np.float16)
        if "lut_scale" in parts:  # the int8/uint8 LUT, dequantized by the op Core ML chains
            grid = (*lut.shape[:-2], 1, 1)
            offset = parts.get("lut_zero_point", np.zeros(parts["lut_scale"].shape, lut.dtype))
            table = mb.constexpr_blockwise_shift_scale(
                data=lut, scale=parts["lut_scale"].reshape(grid).astype(np.float16),
                offset=offset.reshape(grid))
        weight = mb.constexpr_lut_to_dense(indices=indices.astype(sub_byte), lut=table,
                                           vector_axis=vector_axis)
        return mb.add(x=mb.reduce_sum(x=weight), y=x)

    model = ct.convert(program, convert_to="mlprogram", minimum_deployment_target=ct.target.iOS18,
                       skip_model_load=True)
    path = os.path.join(work, f"{label}.mlpackage")
    model.save(path)
    blobs = glob.glob(os.path.join(path, "Data", "com.apple.CoreML", "weights", "*.bin"))
    data = b"".join(open(blob, "rb").read() for blob in blobs)
    check(parts["indices"].tobytes() in data,
          f"{label}: the .mlpackage weight blob holds kmlut's packed indices")


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    checked = 0
    for dtype_name, dtype in (("F16", np.float16), ("F32", np.float32)):
        source = os.path.join(work, f"model-{dtype_name}.safetensors")
        save_file(checkpoint(dtype), source)
        for label, spec in SPECS.items():
            case = f"{label}-{dtype_name}"
            config = os.path.join(work, f"{case}.yaml")
            with open(config, "w") as f:
                f.write("kmeans_palettization_config:\n  global_config:\n"
                        f"    op_state_spec: {{weight: {{{spec}}}}}\n"
                        + ("    enable_fast_kmeans_mode: false\n" if "vector" in label else ""))
            out = os.path.join(work, f"{case}.safetensors")
            decoded = os.path.join(work, f"{case}-decoded.safetensors")
            run("palettize", source, out, "--config", config, "--quiet", "--force")
            run("decode", out, decoded, "--force")
            if FAILURES:
                break
            stored, dense = load_file(out), load_file(decoded)
            for name, weight in checkpoint(dtype).items():
                parts = {part: stored[f"{name}.{part}"]
                         for part in ("lut", "indices", "scale", "lut_scale", "lut_zero_point")
                         if f"{name}.{part}" in stored}
                if not check("lut" in parts, f"{case}: {name} is palettized"):
                    continue
                ours, indices, n_bits = coreml_dense(parts, weight.shape)
                check(ours.dtype == dense[name].dtype and np.array_equal(
                    np.ascontiguousarray(ours).view(np.uint8), dense[name].view(np.uint8)),
                    f"{case}: {name}: coremltools' decompress equals kmlut decode")
                if name == "conv.weight":
                    mil_program_stores_kmlut_bytes(parts, indices, n_bits, work, case)
                checked += 1
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print(f"coremltools reads kmlut v1: {checked} tensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
