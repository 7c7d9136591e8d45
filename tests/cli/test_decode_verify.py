#!/usr/bin/env python3
"""End-to-end tests of `kmlut decode` and `kmlut verify`: exit codes, --force, outputs, --json.

Usage: test_decode_verify.py KMLUT_BINARY WORK_DIR. The kmlut v1 inputs are written here with numpy
from hand-made LUTs and indices, packed the way coremltools' pack_elements_into_bits does, and the
expected dense tensors are rebuilt with numpy indexing: nothing comes from kmlut's own producer.
"""
import json
import math
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
from checks import FAILURES, check

INDEX = "model.safetensors.index.json"


def run(*args):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout, result.stderr


# --- safetensors with numpy ----------------------------------------------------------------------

DTYPES = {np.dtype("<f4"): "F32", np.dtype("<f2"): "F16", np.dtype("u1"): "U8",
          np.dtype("<i8"): "I64"}


def write_safetensors(path, tensors, metadata):
    """tensors: {name: numpy array}, written in that order."""
    header = {"__metadata__": metadata}
    offset, blobs = 0, []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": DTYPES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    arrays = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = {v: k for k, v in DTYPES.items()}[entry["dtype"]]
        begin, end = entry["data_offsets"]
        arrays[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(entry["shape"])
    return header.get("__metadata__", {}), arrays


# --- hand-made kmlut v1 tensors ------------------------------------------------------------------

def pack(indices, n_bits):
    """coremltools pack_elements_into_bits: LSB-first bit stream over the row-major indices."""
    bits = np.unpackbits(indices.astype(np.uint8).ravel()[:, None], axis=1, bitorder="little")
    return np.packbits(bits[:, :n_bits].ravel(), bitorder="little")


def dense(lut, indices, cluster_dim, scale=None):
    """Core ML constexpr_lut_to_dense (vector_axis 0), then the per-channel scale in float32."""
    rank = indices.ndim
    grid = lut.shape[:rank]
    tables = np.ix_(*[np.arange(n) // (n // g) for n, g in zip(indices.shape, grid)])
    vectors = lut[tables + (indices, slice(None))]        # S_idx + [d]
    vectors = np.moveaxis(vectors, -1, 1)                 # [S_idx0, d, S_idx1, ...]
    shape = (indices.shape[0] * cluster_dim,) + indices.shape[1:]
    out = vectors.reshape(shape)
    if scale is not None:
        out = (out.astype(np.float32) * scale.astype(np.float32)).astype(lut.dtype)
    return out


def entry(shape, dtype, n_bits, cluster_dim, group_axis, group_size, name, scale):
    return {"shape": list(shape), "dtype": dtype, "n_bits": n_bits, "cluster_dim": cluster_dim,
            "vector_axis": 0 if cluster_dim > 1 else None, "group_axis": group_axis,
            "group_size": group_size, "packing": "lsb_bitstream", "lut": name + ".lut",
            "indices": name + ".indices", "scale": name + ".scale" if scale else None}


def hand_made(rng):
    """(parts, entries, expected dense tensors, plain tensors)."""
    parts, entries, expected = {}, {}, {}
    # F16 [8, 6], 3 bits (indices straddle bytes), grouped along axis 0 in groups of 4 rows.
    lut = (rng.integers(-128, 128, size=(2, 1, 8, 1)) / 64).astype(np.float16)
    idx = rng.integers(0, 8, size=(8, 6))
    parts.update({"fc.weight.lut": lut, "fc.weight.indices": pack(idx, 3)})
    entries["fc.weight"] = entry((8, 6), "F16", 3, 1, 0, 4, "fc.weight", False)
    expected["fc.weight"] = dense(lut, idx, 1)
    # F32 conv [4, 2, 3, 3], 2-vectors along axis 0, 2 bits, per tensor, with per-channel scale.
    lut = (rng.integers(-128, 128, size=(1, 1, 1, 1, 4, 2)) / 64).astype(np.float32)
    idx = rng.integers(0, 4, size=(2, 2, 3, 3))
    scale = np.array([0.5, 1.5, 2.0, 0.25], np.float32).reshape(4, 1, 1, 1)
    parts.update({"conv.weight.lut": lut, "conv.weight.indices": pack(idx, 2),
                  "conv.weight.scale": scale})
    entries["conv.weight"] = entry((4, 2, 3, 3), "F32", 2, 2, None, None, "conv.weight", True)
    expected["conv.weight"] = dense(lut, idx, 2, scale)
    plain = {"fc.bias": rng.standard_normal(8).astype(np.float32),
             "position_ids": np.arange(5, dtype=np.int64)}
    return parts, entries, expected, plain


def kmlut_metadata(entries):
    return {"format": "pt", "kmlut.version": "1", "kmlut.tensors": json.dumps(entries)}


def make_inputs(work, rng):
    parts, entries, expected, plain = hand_made(rng)
    palettized = os.path.join(work, "palettized.safetensors")
    write_safetensors(palettized, {**plain, **parts}, kmlut_metadata(entries))
    # The "original": the reconstruction plus a known perturbation, so errors are not zero.
    original = {name: (w.astype(np.float64) + 0.01 * rng.standard_normal(w.shape)).astype(w.dtype)
                for name, w in expected.items()}
    original_path = os.path.join(work, "original.safetensors")
    write_safetensors(original_path, {**plain, **original}, {"format": "pt"})
    return palettized, original_path, expected, plain, original


# --- tests ---------------------------------------------------------------------------------------

def test_decode_single(work, palettized, expected, plain):
    out = os.path.join(work, "decoded.safetensors")
    code, stdout, err = run("decode", palettized, out)
    check(code == 0, f"decode exits 0 ({code}: {err})")
    check("2 palettized" in stdout, f"decode reports what it did: {stdout!r}")
    metadata, arrays = read_safetensors(out)
    check(metadata == {"format": "pt"}, f"decoded metadata is only format=pt: {metadata}")
    check(sorted(arrays) == sorted([*expected, *plain]), f"decoded tensors: {sorted(arrays)}")
    for name, want in {**expected, **plain}.items():
        got = arrays.get(name)
        check(got is not None and got.dtype == want.dtype and got.shape == want.shape
              and got.tobytes() == want.tobytes(), f"decoded {name} equals the numpy reconstruction")

    code, _, err = run("decode", palettized, out)
    check(code == 2 and "--force" in err and "decoded.safetensors" in err,
          f"existing OUTPUT without --force exits 2 naming it ({code}: {err})")
    code, _, err = run("decode", palettized, out, "--force")
    check(code == 0, f"--force overwrites ({code}: {err})")
    code, _, err = run("decode", palettized, palettized, "--force")
    check(code == 2 and "palettized.safetensors" in err, f"OUTPUT == input exits 2 ({code}: {err})")
    return out


def test_decode_sharded(work, rng):
    parts, entries, expected, plain = hand_made(rng)
    shard_dir = os.path.join(work, "sharded-in")
    os.makedirs(shard_dir, exist_ok=True)
    shards = {"model-00001-of-00002.safetensors": ["fc.weight", "fc.bias"],
              "model-00002-of-00002.safetensors": ["conv.weight", "position_ids"]}
    def owner(tensor):  # the tensor a stored part belongs to
        for suffix in (".lut", ".indices", ".scale"):
            if tensor.endswith(suffix) and tensor[:-len(suffix)] in entries:
                return tensor[:-len(suffix)]
        return tensor

    weight_map = {}
    for shard, names in shards.items():
        tensors = {k: v for k, v in {**plain, **parts}.items() if owner(k) in names}
        write_safetensors(os.path.join(shard_dir, shard), tensors,
                          kmlut_metadata({n: entries[n] for n in names if n in entries}))
        weight_map.update({k: shard for k in tensors})
    with open(os.path.join(shard_dir, INDEX), "w") as out:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, out)
    out_dir = os.path.join(work, "sharded-out")
    code, _, err = run("decode", shard_dir, out_dir)
    check(code == 0, f"sharded decode exits 0 ({code}: {err})")
    with open(os.path.join(out_dir, INDEX)) as f:
        index = json.load(f)
    want_map = {n: shard for shard, names in shards.items() for n in names}
    check(index["weight_map"] == want_map, f"decoded weight_map: {index['weight_map']}")
    total = sum(a.nbytes for a in [*expected.values(), *plain.values()])
    check(index["metadata"]["total_size"] == total, f"total_size {index['metadata']} != {total}")
    for shard, names in shards.items():
        metadata, arrays = read_safetensors(os.path.join(out_dir, shard))
        check(metadata == {"format": "pt"} and sorted(arrays) == sorted(names),
              f"{shard}: {metadata}, {sorted(arrays)}")
        for name in names:
            want = {**expected, **plain}[name]
            check(arrays[name].tobytes() == want.tobytes(), f"sharded decode of {name}")
    code, _, err = run("decode", os.path.join(shard_dir, INDEX), out_dir)
    check(code == 2 and "--force" in err, f"existing shard output exits 2 ({code}: {err})")
    code, _, err = run("decode", shard_dir, shard_dir, "--force")
    check(code == 2, f"decoding a sharded checkpoint onto itself exits 2 ({code}: {err})")


def stats(w, w_hat):
    w, w_hat = w.astype(np.float64), w_hat.astype(np.float64)
    sse = float(((w - w_hat) ** 2).sum())
    sum_sq = float((w ** 2).sum())
    return {"rel_error": math.sqrt(sse / sum_sq), "snr_db": 10 * math.log10(sum_sq / sse),
            "max_abs_error": float(np.abs(w - w_hat).max()), "sse": sse}


def close(a, b):
    return a is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b))


def check_verify_json(document, statuses, expected, original, label):
    check(set(document) == {"tensors", "summary"}, f"{label}: top-level keys {set(document)}")
    rows = {row["name"]: row for row in document["tensors"]}
    check(sorted(rows) == sorted(statuses), f"{label}: tensors {sorted(rows)}")
    for name, status in statuses.items():
        row = rows[name]
        check(set(row) == {"name", "shape", "dtype", "status", "identical", "rel_error", "snr_db",
                           "max_abs_error", "sse"}, f"{label}: {name} keys {set(row)}")
        check(row["status"] == status, f"{label}: {name} status {row['status']} != {status}")
        if name in expected:
            want = stats(original[name], expected[name])
            for key, value in want.items():
                check(close(row[key], value), f"{label}: {name} {key} {row[key]} != {value}")
            check(row["identical"] is False, f"{label}: {name} is not identical")
        else:
            check(row["rel_error"] == 0 and row["snr_db"] is None and row["max_abs_error"] == 0
                  and row["identical"] is True, f"{label}: copied {name} is exact: {row}")
    summary = document["summary"]
    palettized = sum(1 for s in statuses.values() if s == "palettized")
    check(summary["tensors"] == len(statuses) and summary["palettized"] == palettized
          and summary["copied"] == len(statuses) - palettized, f"{label}: counts {summary}")
    sse = sum(stats(original[n], expected[n])["sse"] for n in expected)
    for key in ("total", "palettized_total"):
        check(set(summary[key]) == {"rel_error", "snr_db", "max_abs_error", "sse", "numel"},
              f"{label}: summary.{key} keys {summary[key]}")
    check(close(summary["total"]["sse"], sse), f"{label}: total sse {summary['total']} != {sse}")


def test_verify(work, palettized, decoded, original_path, expected, plain, original):
    statuses = {**{n: "palettized" for n in expected}, **{n: "copied" for n in plain}}
    code, out, err = run("verify", original_path, palettized, "--json")
    check(code == 0, f"verify --json exits 0 ({code}: {err})")
    check_verify_json(json.loads(out), statuses, expected, original, "original vs palettized")
    # The decoded file is dense: the same errors, every tensor "copied".
    code, out, err = run("verify", original_path, decoded, "--json")
    check(code == 0, f"verify decoded --json exits 0 ({code}: {err})")
    document = json.loads(out)
    check_verify_json(document, {n: "copied" for n in statuses}, expected, original,
                      "original vs decoded")
    check(document["summary"]["palettized_total"]["sse"] == 0, "no palettized tensor in decoded")

    code, out, err = run("verify", original_path, palettized)
    check(code == 0 and "SNR dB" in out and "conv.weight" in out and "palettized" in out
          and "total" in out, f"verify prints a table ({code}: {out}{err})")

    partial = os.path.join(work, "partial.safetensors")
    write_safetensors(partial, {"fc.bias": plain["fc.bias"]}, {"format": "pt"})
    code, _, err = run("verify", original_path, partial)
    check(code == 3 and "partial.safetensors" in err and "position_ids" in err,
          f"a missing tensor exits 3 naming it ({code}: {err})")


def test_defects(work, rng):
    parts, entries, _, plain = hand_made(rng)
    broken = dict(parts)
    del broken["fc.weight.lut"]
    path = os.path.join(work, "no-lut.safetensors")
    write_safetensors(path, {**plain, **broken}, kmlut_metadata(entries))
    code, _, err = run("decode", path, os.path.join(work, "no-lut-out.safetensors"))
    check(code == 3 and "no-lut.safetensors" in err and '"fc.weight"' in err,
          f"missing LUT exits 3 naming file and tensor ({code}: {err})")
    check(not os.path.exists(os.path.join(work, "no-lut-out.safetensors")),
          "a failed decode leaves no output")
    bad = os.path.join(work, "bad-json.safetensors")
    write_safetensors(bad, parts, {"kmlut.version": "1", "kmlut.tensors": "{not json"})
    code, _, err = run("decode", bad, os.path.join(work, "bad-json-out.safetensors"))
    check(code == 3 and "kmlut.tensors" in err, f"bad metadata JSON exits 3 ({code}: {err})")
    for args in (("decode",), ("decode", bad), ("verify", bad), ("decode", bad, "x", "--nope")):
        code, _, _ = run(*args)
        check(code == 2, f"usage error {args} exits 2 (got {code})")


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = np.random.default_rng(7)
    palettized, original_path, expected, plain, original = make_inputs(work, rng)
    decoded = test_decode_single(work, palettized, expected, plain)
    test_decode_sharded(work, np.random.default_rng(7))
    test_verify(work, palettized, decoded, original_path, expected, plain, original)
    test_defects(work, np.random.default_rng(7))
    print(f"{len(FAILURES)} failure(s)")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
