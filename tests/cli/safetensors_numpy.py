"""Reading and writing safetensors files with numpy alone, for the CLI tests: written from the format's
description (8-byte little-endian header length, JSON header, packed little-endian data),
independently of kmlut's reader."""
import json
import struct

import numpy as np

NUMPY = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "U8": np.uint8,
         "I8": np.int8}


def read_safetensors(path):
    """name -> (dtype, shape, raw bytes), and the metadata."""
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    metadata = header.pop("__metadata__", {})
    data = blob[8 + length:]
    tensors = {name: (entry["dtype"], entry["shape"],
                      data[entry["data_offsets"][0]:entry["data_offsets"][1]])
               for name, entry in header.items()}
    return tensors, metadata


def as_float64(dtype, shape, raw):
    if dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).astype(np.float64).reshape(shape)
    array = np.frombuffer(raw, dtype=np.dtype(NUMPY[dtype]).newbyteorder("<"))
    return array.astype(np.float64).reshape(shape)


def round_to(dtype, values):
    """float64 values rounded to `dtype` (nearest, ties to even), as float64."""
    if dtype == "F16":
        return values.astype(np.float16).astype(np.float64)
    if dtype == "F32":
        return values.astype(np.float32).astype(np.float64)
    if dtype == "BF16":
        bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint32) << 16
        return rounded.view(np.float32).astype(np.float64)
    return values


def write_fp16_checkpoint(path, tensors, rows, cols, seed):
    """`tensors` copies of one random F16 rows x cols matrix named layers.N.weight."""
    rng = np.random.default_rng(seed)
    weight = (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float16)
    size = weight.nbytes
    header = json.dumps({f"layers.{i}.weight": {"dtype": "F16", "shape": [rows, cols],
                                                "data_offsets": [i * size, (i + 1) * size]}
                         for i in range(tensors)}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
        for _ in range(tensors):
            f.write(weight.tobytes())
