#!/usr/bin/env python3
"""Malformed kmlut v1 files given to `kmlut decode` and `kmlut verify`: each must exit 3 with a
message naming the file (and the tensor, where one is at fault), leave the output directory as it
was, and never attempt a huge allocation (the runs have a 2 GiB address-space limit).

The files are written here with numpy from docs/format.md, independently of kmlut's writer: one
valid baseline (which must decode to the values worked out by hand), then one defect per file.

Usage: test_malformed_kmlut.py KMLUT_BINARY WORK_DIR
"""
import json
import os
import resource
import shutil
import struct
import subprocess
import sys

import numpy as np
from checks import FAILURES, check

NAME = "fc.weight"


LIMIT_MIB = 2048  # no malformed file may make kmlut allocate more


def limit_address_space():
    limit = LIMIT_MIB << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run(*args):
    if os.environ.get("KMLUT_UNDER_SANITIZER") == "1":
        # ASan reserves terabytes of shadow address space, so an address-space limit cannot
        # apply; its own allocation limit turns a larger allocation into a reported failure.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + f":max_allocation_size_mb={LIMIT_MIB}"
        result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=60,
                                env=env)
    else:
        result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=60,
                                preexec_fn=limit_address_space)
    return result.returncode, result.stderr


def write_safetensors(path, tensors, metadata_text):
    """tensors: name -> (dtype, shape, bytes); metadata_text: the raw JSON of "__metadata__"."""
    entries, offset = [], 0
    for name, (dtype, shape, raw) in tensors.items():
        entries.append(f'{json.dumps(name)}: {{"dtype": "{dtype}", "shape": {json.dumps(shape)}, '
                       f'"data_offsets": [{offset}, {offset + len(raw)}]}}')
        offset += len(raw)
    header = ("{" + ", ".join([f'"__metadata__": {metadata_text}'] + entries) + "}").encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
        for _, _, raw in tensors.values():
            f.write(raw)


def baseline():
    """fc.weight [6, 4] F32 as a 2-bit per-tensor LUT with per-channel scale; fc.bias dense."""
    lut = np.array([-1.0, -0.25, 0.5, 2.0], dtype=np.float32)
    indices = np.arange(24, dtype=np.uint8) % 4
    packed = np.packbits(((indices[:, None] >> np.arange(2)) & 1).astype(np.uint8).ravel(),
                         bitorder="little")
    scale = np.arange(1, 7, dtype=np.float32).reshape(6, 1)
    tensors = {
        "fc.weight.lut": ("F32", [1, 1, 4, 1], lut.tobytes()),
        "fc.weight.indices": ("U8", [6], packed.tobytes()),
        "fc.weight.scale": ("F32", [6, 1], scale.tobytes()),
        "fc.bias": ("F32", [6], np.ones(6, np.float32).tobytes()),
    }
    entry = {"shape": [6, 4], "dtype": "F32", "n_bits": 2, "cluster_dim": 1, "vector_axis": None,
             "group_axis": None, "group_size": None, "packing": "lsb_bitstream",
             "lut": "fc.weight.lut", "indices": "fc.weight.indices", "scale": "fc.weight.scale"}
    expected = (lut[indices].reshape(6, 4) * scale).astype(np.float32)
    return tensors, entry, expected


def metadata(entries_json, version='"1"'):
    return ('{"format": "pt", "kmlut.version": ' + version + ', "kmlut.tensors": ' +
            json.dumps(entries_json) + "}")


def entry_text(entry, replace=None):
    """The kmlut.tensors string for one entry, with `replace` = (field, raw JSON text)."""
    fields = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in entry.items()
              if replace is None or k != replace[0]]
    if replace is not None:
        fields.append(f"{json.dumps(replace[0])}: {replace[1]}")
    return "{" + json.dumps(NAME) + ": {" + ", ".join(fields) + "}}"


def variants():
    """(label, tensors, metadata text, names the tensor) for each defect."""
    tensors, entry, _ = baseline()
    out = []

    def field(label, key, raw):
        out.append((label, tensors, metadata(entry_text(entry, (key, raw))), True))

    for raw in ("4.9", "true", '"2"', "0", "9", "-2", "2.0", "[2]", "null"):
        field(f"n_bits {raw}", "n_bits", raw)
    for raw in ("[2.7, 4]", "[6, -4]", "[1099511627776, 1099511627776]", "[3, 8]", "[6, 4, 1]",
                "[]", "[6, true]", '"6x4"', "[6, 4.0]", "[4294967296, 4]", "[6, 40000000000]"):
        field(f"shape {raw}", "shape", raw)
    for raw in ("0", "2", "7", "1.5", "100000000000"):
        field(f"cluster_dim {raw}", "cluster_dim", raw)
    field("vector_axis 1", "vector_axis", "1")
    field("group_axis without size", "group_axis", "1")
    for raw in ('"F8_E4M3"', '"I32"', '"f32"', "5"):
        field(f"dtype {raw}", "dtype", raw)
    field("packing", "packing", '"msb_bitstream"')
    field("lut names a missing tensor", "lut", '"nope"')
    field("lut is a number", "lut", "3")
    field("indices names the LUT", "indices", '"fc.weight.lut"')
    field("scale names a missing tensor", "scale", '"fc.weight.nope"')
    dup = entry_text(entry)[:-2] + ', "n_bits": 3}}'
    out.append(("duplicate field", tensors, metadata(dup), True))
    one = entry_text(entry)[1:-1]
    out.append(("duplicate entry", tensors, metadata("{" + one + ", " + one + "}"), True))
    out.append(("version 2", tensors, metadata(entry_text(entry), '"2"'), False))
    out.append(("version missing", tensors, '{"format": "pt", "kmlut.tensors": ' +
                json.dumps(entry_text(entry)) + "}", False))
    out.append(("tensors not JSON", tensors, metadata('{"fc.weight": {'), False))
    out.append(("tensors an array", tensors, metadata("[]"), False))
    out.append(("entry an array", tensors, metadata('{"fc.weight": []}'), True))

    def part(label, name, change):
        broken = dict(tensors)
        if change is None:
            del broken[name]
        else:
            broken[name] = change(*broken[name])
        out.append((label, broken, metadata(entry_text(entry)), True))

    part("missing lut", "fc.weight.lut", None)
    part("missing indices", "fc.weight.indices", None)
    part("missing scale", "fc.weight.scale", None)
    part("lut I32", "fc.weight.lut", lambda d, s, r: ("I32", s, r))
    part("lut F16", "fc.weight.lut", lambda d, s, r: ("F16", [1, 1, 4, 2], r))
    part("lut I8 without lut_scale", "fc.weight.lut", lambda d, s, r: ("I8", [1, 1, 4, 4], r))
    part("lut rank 3", "fc.weight.lut", lambda d, s, r: (d, [1, 4, 1], r))
    part("lut 3 tables per row", "fc.weight.lut", lambda d, s, r: (d, [1, 1, 2, 2], r))
    part("lut two tables", "fc.weight.lut", lambda d, s, r: (d, [2, 1, 2, 1], r))
    part("indices F32", "fc.weight.indices", lambda d, s, r: ("I8", s, r))
    part("indices 2-D", "fc.weight.indices", lambda d, s, r: (d, [2, 3], r))
    part("indices too short", "fc.weight.indices", lambda d, s, r: (d, [5], r[:5]))
    part("indices too long", "fc.weight.indices", lambda d, s, r: (d, [7], r + b"\0"))
    part("indices empty", "fc.weight.indices", lambda d, s, r: (d, [0], b""))
    part("scale F16", "fc.weight.scale", lambda d, s, r: ("F16", [6, 2], r))
    part("scale [1, 6]", "fc.weight.scale", lambda d, s, r: (d, [1, 6], r))
    part("scale [6]", "fc.weight.scale", lambda d, s, r: (d, [6], r))
    with_lut_scale = dict(tensors)
    with_lut_scale["fc.weight.lut_scale"] = ("F32", [1], np.ones(1, np.float32).tobytes())
    out.append(("lut_scale beside a float LUT", with_lut_scale, metadata(entry_text(entry)), True))
    stored_too = dict(tensors)
    stored_too[NAME] = ("F32", [6, 4], np.zeros(24, np.float32).tobytes())
    out.append(("entry and stored tensor", stored_too, metadata(entry_text(entry)), True))
    shared = dict(entry, scale=None)
    two = json.dumps({NAME: entry, "fc.other": dict(shared, lut="fc.weight.lut")})
    out.append(("part claimed twice", tensors, metadata(two), True))
    return out


def test_baseline(work):
    tensors, entry, expected = baseline()
    path = os.path.join(work, "baseline.safetensors")
    write_safetensors(path, tensors, metadata(entry_text(entry)))
    out = os.path.join(work, "baseline-out.safetensors")
    code, err = run("decode", path, out)
    check(code == 0, f"the hand-made baseline decodes ({code}: {err})")
    if code == 0:
        with open(out, "rb") as f:
            blob = f.read()
        (length,) = struct.unpack("<Q", blob[:8])
        header = json.loads(blob[8:8 + length])
        begin, end = header[NAME]["data_offsets"]
        values = np.frombuffer(blob[8 + length + begin:8 + length + end], np.float32)
        check(np.array_equal(values.reshape(6, 4), expected), "the baseline decodes to LUT x scale")


def test_variants(work):
    original = os.path.join(work, "original.safetensors")
    write_safetensors(original, {NAME: ("F32", [6, 4], np.zeros(24, np.float32).tobytes()),
                                 "fc.bias": ("F32", [6], np.ones(6, np.float32).tobytes())},
                      '{"format": "pt"}')
    out_dir = os.path.join(work, "out")
    os.makedirs(out_dir)
    for i, (label, tensors, metadata_text, names_tensor) in enumerate(variants()):
        path = os.path.join(work, f"bad-{i:02d}.safetensors")
        write_safetensors(path, tensors, metadata_text)
        for command in (("decode", path, os.path.join(out_dir, "decoded.safetensors")),
                        ("decode", path, os.path.join(out_dir, "decoded-dir", "x.safetensors")),
                        ("verify", original, path)):
            code, err = run(*command)
            named = os.path.basename(path) in err and (not names_tensor or '"fc.' in err)
            check(code == 3 and named and "Traceback" not in err,
                  f"{label}: {command[0]} exits 3 naming the file and tensor ({code}: {err.strip()})")
            check(os.listdir(out_dir) == [], f"{label}: {command[0]} leaves no output")


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    test_baseline(work)
    test_variants(work)
    print(f"{len(variants())} variants, {len(FAILURES)} failure(s)")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
