"""Shared fixtures of the Python package's tests (run by scripts/python-tests.sh against an
installed kmlut): the CLI to compare with, test checkpoints, and optional oracles (torch,
coreai_opt) that are skipped only when KMLUT_REQUIRE_ORACLES is not set."""
import importlib
import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
sys.path.insert(0, os.path.join(HERE, "..", "data"))
from safetensors_numpy import read_safetensors  # noqa: E402,F401

SAFETENSORS_DTYPES = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32",
                      np.dtype(np.float64): "F64"}


def require(module):
    """Imports an oracle module; without it the test fails under KMLUT_REQUIRE_ORACLES=1 (CI) and
    is skipped otherwise."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        if os.environ.get("KMLUT_REQUIRE_ORACLES") == "1":
            pytest.fail(f"oracle {module} is required (KMLUT_REQUIRE_ORACLES=1): {error}")
        pytest.skip(f"{module} is not installed")


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("KMLUT_CLI")
    if not path or not os.path.exists(path):
        pytest.fail("set KMLUT_CLI to the kmlut binary the package is compared with")
    return path


def run_cli(cli, *args):
    done = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, f"kmlut {' '.join(map(str, args))}: {done.stderr}"
    return done.stdout


def write_safetensors(path, tensors):
    """[(name, numpy array or (dtype name, raw bytes, shape))] as a safetensors file, from the
    format's description (8-byte header length, JSON header, packed little-endian data)."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, tensor in tensors:
        if isinstance(tensor, tuple):
            dtype, blob, shape = tensor
        else:
            dtype, blob, shape = SAFETENSORS_DTYPES[tensor.dtype], tensor.tobytes(), tensor.shape
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def heavy_tailed(shape, seed, dtype=np.float32):
    return (np.random.default_rng(seed).standard_t(4, size=shape) * 0.02).astype(dtype)


def write_config(path, spec, fast_mode=True):
    """A config giving every op's weight `spec`."""
    with open(path, "w") as f:
        json.dump({"kmeans_palettization_config": {"global_config": {
            "op_state_spec": {"weight": spec, "in_proj_weight": spec},
            "enable_fast_kmeans_mode": fast_mode}}}, f)
    return path


@pytest.fixture
def small_checkpoint(tmp_path):
    """A few layers of several kinds: linear weights (F16, F32), a conv, an embedding, a norm."""
    tensors = [
        ("embed_tokens.weight", heavy_tailed((50, 32), 1)),
        ("layers.0.mlp.up_proj.weight", heavy_tailed((64, 32), 2, np.float16)),
        ("layers.0.mlp.up_proj.bias", heavy_tailed((64,), 3)),
        ("layers.0.mlp.down_proj.weight", heavy_tailed((32, 64), 4)),
        ("layers.0.norm.weight", np.ones(32, np.float32)),
        ("vision.conv.weight", heavy_tailed((16, 8, 3, 3), 5)),
    ]
    path = tmp_path / "model.safetensors"
    write_safetensors(str(path), tensors)
    return path
