"""One tensor: palettize() and its result."""
import json

import numpy as np

from . import _kmlut

_NUMPY_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "U8": np.uint8,
                 "I8": np.int8}


def _is_torch(tensor):
    return type(tensor).__module__.startswith("torch")


def _typed(raw, dtype, shape, as_torch):
    """A view of the uint8 bytes `raw` as `dtype` and `shape` (no copy): numpy, or torch when the
    weight was a torch tensor (the only way to hold bfloat16)."""
    if as_torch:
        import torch
        tensor = torch.from_numpy(raw)
        target = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32,
                  "F64": torch.float64, "U8": torch.uint8, "I8": torch.int8}[dtype]
        return tensor.view(target).reshape(shape)
    if dtype == "BF16":
        raise TypeError("bfloat16 results need torch; pass the weight as a torch tensor")
    return raw.view(_NUMPY_DTYPES[dtype]).reshape(shape)


class PalettizeResult:
    """The kmlut v1 parts of one palettized tensor (docs/format.md), as views into the native
    result: lut, indices (unpacked, uint8), packed_indices (LSB-first bytes), scale, lut_scale and
    lut_zero_point (None when absent), plus sse and skip_reason (None when palettized)."""

    def __init__(self, native, as_torch):
        self._native = native
        self._as_torch = as_torch

    def _part(self, kind):
        found = self._native.part(kind)
        if found is None:
            return None
        raw, dtype, shape = found
        return _typed(raw, dtype, shape, self._as_torch)

    @property
    def palettized(self):
        return self._native.palettized

    @property
    def skip_reason(self):
        return self._native.skip_reason

    @property
    def sse(self):
        return self._native.sse if self.palettized else None

    @property
    def lut(self):
        return self._part(_kmlut.PartKind.lut)

    @property
    def indices(self):
        return self._part(_kmlut.PartKind.indices)

    @property
    def packed_indices(self):
        return self._part(_kmlut.PartKind.packed_indices)

    @property
    def scale(self):
        return self._part(_kmlut.PartKind.scale)

    @property
    def lut_scale(self):
        return self._part(_kmlut.PartKind.lut_scale)

    @property
    def lut_zero_point(self):
        return self._part(_kmlut.PartKind.lut_zero_point)

    def dense(self):
        """The reconstruction in the weight's dtype and shape (a new array; the weight's own
        values when the tensor was skipped)."""
        return _typed(self._native.dense_bytes(), self._native.dtype, self._native.shape,
                      self._as_torch)

    def __repr__(self):
        if not self.palettized:
            return f"PalettizeResult(skipped: {self.skip_reason})"
        return (f"PalettizeResult({self._native.dtype} {list(self._native.shape)}, "
                f"lut {list(self.lut.shape)}, sse {self.sse:.6g})")


def _native_array(tensor):
    """What nanobind reads without a copy: numpy arrays as they are; torch tensors through DLPack
    (detached; a tensor on a GPU is moved to the host first)."""
    if _is_torch(tensor):
        tensor = tensor.detach()
        if tensor.device.type != "cpu":
            tensor = tensor.cpu()
        return tensor
    return np.asarray(tensor)


def palettize(weight, spec, *, fast_mode=True, rounding_precision=4, sensitivity=None,
              backend="auto", threads=None, seed=0, op_type=""):
    """Palettizes one tensor (numpy or torch; float16, bfloat16 via torch, float32, float64) with
    `spec`, a dict in the config schema's own field names, e.g. {"n_bits": 4, "granularity":
    {"type": "per_grouped_channel", "axis": 0, "group_size": 16}}. The weight is read in place
    (C-contiguous inputs are not copied) and the GIL is released while it runs. The parts equal,
    byte for byte, what `kmlut palettize` stores for the same tensor and spec."""
    request = tensor_request("tensor", weight, spec, fast_mode=fast_mode,
                             rounding_precision=rounding_precision, sensitivity=sensitivity,
                             op_type=op_type)
    return palettize_requests([request], backend=backend, threads=threads, seed=seed)[0]


def tensor_request(name, weight, spec, *, fast_mode=True, rounding_precision=4, sensitivity=None,
                   op_type=""):
    """One tensor for palettize_requests(); `name` is what error messages call it."""
    if not isinstance(spec, dict):
        raise TypeError(f"spec: expected a dict, got {type(spec).__name__}")
    request = _kmlut.TensorRequest(
        name, _native_array(weight), json.dumps(spec), fast_mode, rounding_precision,
        None if sensitivity is None else _native_array(sensitivity), op_type)
    return request, _is_torch(weight)


def palettize_requests(requests, *, backend="auto", threads=None, seed=0):
    """Palettizes tensor_request()s as one batch on one backend (the GIL released)."""
    natives = _kmlut.palettize_many([request for request, _ in requests], backend, threads or 0,
                                    seed)
    return [PalettizeResult(native, as_torch) for native, (_, as_torch) in zip(natives, requests)]
