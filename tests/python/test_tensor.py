"""kmlut.palettize on one tensor: byte for byte what `kmlut palettize` stores for the same tensor
and spec (every part, the unpacked indices against an independent unpacking, the reconstruction
against `kmlut decode`), dtypes, errors and skips."""
import json

import numpy as np
import pytest

import kmlut
from conftest import (heavy_tailed, read_safetensors, require, run_cli, write_config,
                      write_safetensors)

NAME = "layers.0.proj.weight"
SPECS = [
    {"n_bits": 4, "granularity": {"type": "per_grouped_channel", "axis": 0, "group_size": 16}},
    {"n_bits": 3, "granularity": {"type": "per_tensor"}, "enable_per_channel_scale": True},
    {"n_bits": 4, "granularity": {"type": "per_grouped_channel", "axis": 1, "group_size": 8},
     "lut_qspec": {"dtype": "uint8", "qscheme": "asymmetric"}},
    {"n_bits": 2, "cluster_dim": 2, "granularity": {"type": "per_tensor"}},
]
PARTS = {"lut": ".lut", "packed_indices": ".indices", "scale": ".scale",
         "lut_scale": ".lut_scale", "lut_zero_point": ".lut_zero_point"}


def unpack_lsb_first(packed, n_bits, count):
    bits = np.unpackbits(np.frombuffer(packed, dtype=np.uint8), bitorder="little")
    bits = bits[:count * n_bits].reshape(count, n_bits).astype(np.uint16)
    return (bits << np.arange(n_bits, dtype=np.uint16)).sum(axis=1).astype(np.uint8)


def fast_mode(spec):
    return spec.get("cluster_dim", 1) == 1  # vector k-means has no fast mode


def cli_parts(cli, tmp_path, weight, spec):
    """What the CLI stores for NAME (a numpy array or (dtype, bytes, shape)), and what
    `kmlut decode` reconstructs."""
    checkpoint = tmp_path / "in.safetensors"
    write_safetensors(str(checkpoint), [(NAME, weight)])
    out = tmp_path / "out.safetensors"
    run_cli(cli, "palettize", checkpoint, out, "--config",
            write_config(tmp_path / "config.json", spec, fast_mode(spec)), "--backend", "cpu",
            "--quiet")
    decoded = tmp_path / "decoded.safetensors"
    run_cli(cli, "decode", out, decoded)
    return read_safetensors(str(out))[0], read_safetensors(str(decoded))[0][NAME][2]


def as_bytes(part):
    if part is None:
        return None
    if hasattr(part, "numpy"):  # torch
        import torch
        return part.contiguous().view(torch.uint8).numpy().tobytes()
    return np.ascontiguousarray(part).tobytes()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: json.dumps(s, sort_keys=True)[:60])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_numpy_parts_equal_the_cli(cli, tmp_path, spec, dtype):
    weight = heavy_tailed((64, 32), 11, dtype)
    stored, decoded = cli_parts(cli, tmp_path, weight, spec)
    result = kmlut.palettize(weight, spec, backend="cpu", fast_mode=fast_mode(spec))
    assert result.palettized and result.skip_reason is None
    assert NAME + ".lut" in stored
    for attribute, suffix in PARTS.items():
        want = stored.get(NAME + suffix)
        assert as_bytes(getattr(result, attribute)) == (want[2] if want else None), attribute
    assert result.indices.dtype == np.uint8
    assert list(result.indices.shape) == [64 // spec.get("cluster_dim", 1), 32]
    np.testing.assert_array_equal(
        result.indices.ravel(),
        unpack_lsb_first(stored[NAME + ".indices"][2], spec["n_bits"], result.indices.size))
    dense = result.dense()
    assert dense.dtype == dtype and dense.shape == weight.shape
    assert dense.tobytes() == decoded


def test_sse_is_the_squared_error_of_the_reconstruction():
    weight = heavy_tailed((128, 64), 12)
    result = kmlut.palettize(weight, SPECS[0])
    error = weight.astype(np.float64) - result.dense().astype(np.float64)
    assert result.sse == pytest.approx(float((error ** 2).sum()), rel=1e-9)


def test_torch_bfloat16_equals_the_cli(cli, tmp_path):
    torch = require("torch")
    weight = torch.from_numpy(heavy_tailed((64, 32), 13)).to(torch.bfloat16)
    spec = SPECS[2]
    raw = weight.view(torch.int16).numpy().tobytes()
    stored, decoded = cli_parts(cli, tmp_path, ("BF16", raw, (64, 32)), spec)
    result = kmlut.palettize(weight, spec, backend="cpu")
    for attribute, suffix in PARTS.items():
        want = stored.get(NAME + suffix)
        assert as_bytes(getattr(result, attribute)) == (want[2] if want else None), attribute
    dense = result.dense()
    assert dense.dtype == torch.bfloat16 and as_bytes(dense) == decoded


def test_lut_zero_point_and_scale_are_none_when_absent():
    result = kmlut.palettize(heavy_tailed((32, 32), 14), {"n_bits": 4})
    assert result.scale is None and result.lut_scale is None and result.lut_zero_point is None


def test_a_tensor_that_cannot_be_palettized_is_skipped_with_the_reason():
    weight = heavy_tailed((30, 32), 15)
    result = kmlut.palettize(weight, SPECS[0])  # 30 rows do not split into groups of 16
    assert not result.palettized and "group_size" in result.skip_reason
    assert result.lut is None and result.sse is None
    np.testing.assert_array_equal(result.dense(), weight)
    nan = heavy_tailed((32, 32), 16)
    nan[3, 4] = np.nan
    assert "non-finite" in kmlut.palettize(nan, {"n_bits": 4}).skip_reason


def test_config_errors_raise_value_error_with_the_cli_message():
    weight = heavy_tailed((32, 32), 17)
    with pytest.raises(ValueError, match=r"spec: palettization_spec.n_bits: 5 is not one of"):
        kmlut.palettize(weight, {"n_bits": 5})
    with pytest.raises(ValueError, match=r"unknown key \"bits\""):
        kmlut.palettize(weight, {"bits": 4})
    with pytest.raises(ValueError, match=r"unknown backend \"tpu\""):
        kmlut.palettize(weight, {"n_bits": 4}, backend="tpu")
    with pytest.raises(ValueError, match=r"cluster_dim 2 requires enable_fast_kmeans_mode: false"):
        kmlut.palettize(weight, {"n_bits": 4, "cluster_dim": 2})
    with pytest.raises(ValueError, match=r"expected float16, bfloat16, float32 or float64"):
        kmlut.palettize(np.zeros((4, 4), np.int32), {"n_bits": 4})


def test_non_contiguous_inputs_are_read_correctly():
    weight = heavy_tailed((32, 64), 18)
    strided = kmlut.palettize(weight.T, SPECS[0])
    contiguous = kmlut.palettize(np.ascontiguousarray(weight.T), SPECS[0])
    assert strided.lut.tobytes() == contiguous.lut.tobytes()
    assert strided.indices.tobytes() == contiguous.indices.tobytes()
