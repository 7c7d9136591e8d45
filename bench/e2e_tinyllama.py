#!/usr/bin/env python3
"""End-to-end palettization of a generated TinyLlama-shaped checkpoint (1.1 B fp16 parameters:
22 layers, hidden 2048, intermediate 5632, 4 KV heads, vocab 32000), sharded into ~2 GB files,
with the CPU backend and the w4 preset. Prints wall time and the read / cluster / write breakdown
from kmlut's report.

usage: e2e_tinyllama.py KMLUT_BINARY WORK_DIR [--threads N] [--preset w4]
The generated checkpoint is kept in WORK_DIR and reused by later runs.
"""
import argparse
import json
import os
import struct
import subprocess
import time

import numpy as np

LAYERS, HIDDEN, INTERMEDIATE, KV, VOCAB = 22, 2048, 5632, 256, 32000
SHARD_BYTES = 2_000_000_000


def tensor_shapes():
    yield "model.embed_tokens.weight", (VOCAB, HIDDEN)
    for i in range(LAYERS):
        p = f"model.layers.{i}"
        yield f"{p}.input_layernorm.weight", (HIDDEN,)
        yield f"{p}.self_attn.q_proj.weight", (HIDDEN, HIDDEN)
        yield f"{p}.self_attn.k_proj.weight", (KV, HIDDEN)
        yield f"{p}.self_attn.v_proj.weight", (KV, HIDDEN)
        yield f"{p}.self_attn.o_proj.weight", (HIDDEN, HIDDEN)
        yield f"{p}.post_attention_layernorm.weight", (HIDDEN,)
        yield f"{p}.mlp.gate_proj.weight", (INTERMEDIATE, HIDDEN)
        yield f"{p}.mlp.up_proj.weight", (INTERMEDIATE, HIDDEN)
        yield f"{p}.mlp.down_proj.weight", (HIDDEN, INTERMEDIATE)
    yield "model.norm.weight", (HIDDEN,)
    yield "lm_head.weight", (VOCAB, HIDDEN)


def write_shard(path, tensors, rng):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in tensors:
        size = int(np.prod(shape)) * 2
        header[name] = {"dtype": "F16", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text)
        for name, shape in tensors:
            if len(shape) == 1:
                out.write(np.ones(shape, np.float16).tobytes())
                continue
            # LLM-like heavy tails: Student-t with 4 degrees of freedom, written a slab at a time.
            for start in range(0, shape[0], 1024):
                rows = min(1024, shape[0] - start)
                slab = rng.standard_t(4, size=(rows, shape[1])).astype(np.float32) * 0.02
                out.write(slab.astype(np.float16).tobytes())
    os.replace(path + ".tmp", path)


def generate(directory):
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        return
    os.makedirs(directory, exist_ok=True)
    shards, current, size = [], [], 0
    for name, shape in tensor_shapes():
        nbytes = int(np.prod(shape)) * 2
        if current and size + nbytes > SHARD_BYTES:
            shards.append(current)
            current, size = [], 0
        current.append((name, shape))
        size += nbytes
    shards.append(current)
    rng = np.random.default_rng(0)
    weight_map, total = {}, 0
    for i, tensors in enumerate(shards):
        name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        write_shard(os.path.join(directory, name), tensors, rng)
        for tensor, shape in tensors:
            weight_map[tensor] = name
            total += int(np.prod(shape)) * 2
    with open(index, "w") as out:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, out)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kmlut")
    parser.add_argument("work")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--preset", default="w4")
    args = parser.parse_args()
    source = os.path.join(args.work, "tinyllama-fp16")
    started = time.time()
    generate(source)
    print(f"checkpoint ready in {time.time() - started:.1f} s: {source}")
    output = os.path.join(args.work, f"tinyllama-{args.preset}")
    report = os.path.join(args.work, f"tinyllama-{args.preset}.report.json")
    command = [args.kmlut, "palettize", source, output, "--preset", args.preset, "--force",
               "--report", report, "--threads", str(args.threads)]
    started = time.time()
    subprocess.run(command, check=True)
    wall = time.time() - started
    data = json.load(open(report))
    weights = sum(int(np.prod(t["shape"])) for t in data["tensors"] if t["status"] == "palettized")
    phases = data["phases"]
    print(f"wall {wall:.1f} s | read {phases['read_seconds']:.1f} s | cluster "
          f"{phases['cluster_seconds']:.1f} s | write {phases['write_seconds']:.1f} s | "
          f"{weights / 1e9:.2f} G weights palettized, {weights / wall / 1e6:.0f} M weights/s | "
          f"{data['summary']['bytes_in'] / 1e9:.2f} GB -> {data['summary']['bytes_out'] / 1e9:.2f} GB | "
          f"{data['device']}")


if __name__ == "__main__":
    main()
