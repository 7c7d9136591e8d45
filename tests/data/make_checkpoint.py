#!/usr/bin/env python3
"""Writes a small transformer-like safetensors checkpoint for the quick start and the tests.

The writer here is independent of kmlut's code: it follows the safetensors format description
(8-byte little-endian header length, JSON header, packed little-endian data) with numpy only. The
model has linear, conv, conv-transpose-free MHA (in_proj_weight), embedding, layer-norm and integer
tensors, in F32, F16 and BF16, so every inference rule of docs/architecture.md §5.3 has a subject.
"""
import argparse
import json
import os
import struct

import numpy as np

HIDDEN = 64
FFN = 256
VOCAB = 1000
LAYERS = 2


def bf16_bytes(values: np.ndarray) -> bytes:
    """float32 -> bfloat16 with round-to-nearest-even, as little-endian uint16."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16).tobytes()


def heavy_tailed(rng, shape, scale=0.02):
    """LLM-like weights: Student-t with 4 degrees of freedom."""
    return (rng.standard_t(4, size=shape) * scale).astype(np.float32)


def model_tensors(rng):
    """(name, dtype, array) in module order."""
    t = []
    t.append(("embeddings.word_embeddings.weight", "F32", heavy_tailed(rng, (VOCAB, HIDDEN))))
    t.append(("embeddings.position_embeddings.weight", "F32", heavy_tailed(rng, (128, HIDDEN))))
    t.append(("embeddings.LayerNorm.weight", "F32", np.ones(HIDDEN, np.float32)))
    t.append(("embeddings.LayerNorm.bias", "F32", np.zeros(HIDDEN, np.float32)))
    t.append(("embeddings.position_ids", "I64", np.arange(128, dtype=np.int64)[None, :]))
    for layer in range(LAYERS):
        p = f"encoder.layer.{layer}"
        dtype = "F16" if layer == 0 else "BF16"
        for proj in ("query", "key", "value"):
            t.append((f"{p}.attention.self.{proj}.weight", dtype, heavy_tailed(rng, (HIDDEN, HIDDEN))))
            t.append((f"{p}.attention.self.{proj}.bias", dtype, heavy_tailed(rng, (HIDDEN,))))
        t.append((f"{p}.attention.output.dense.weight", dtype, heavy_tailed(rng, (HIDDEN, HIDDEN))))
        t.append((f"{p}.attention.output.dense.bias", dtype, heavy_tailed(rng, (HIDDEN,))))
        t.append((f"{p}.attention.output.LayerNorm.weight", "F32", np.ones(HIDDEN, np.float32)))
        t.append((f"{p}.intermediate.dense.weight", dtype, heavy_tailed(rng, (FFN, HIDDEN))))
        t.append((f"{p}.intermediate.dense.bias", dtype, heavy_tailed(rng, (FFN,))))
        t.append((f"{p}.output.dense.weight", dtype, heavy_tailed(rng, (HIDDEN, FFN))))
        t.append((f"{p}.output.dense.bias", dtype, heavy_tailed(rng, (HIDDEN,))))
    t.append(("fusion.attn.in_proj_weight", "F32", heavy_tailed(rng, (3 * HIDDEN, HIDDEN))))
    t.append(("fusion.attn.in_proj_bias", "F32", heavy_tailed(rng, (3 * HIDDEN,))))
    t.append(("fusion.attn.out_proj.weight", "F32", heavy_tailed(rng, (HIDDEN, HIDDEN))))
    t.append(("fusion.attn.out_proj.bias", "F32", heavy_tailed(rng, (HIDDEN,))))
    t.append(("vision.stem.conv.weight", "F32", heavy_tailed(rng, (32, 16, 3, 3))))
    t.append(("vision.stem.conv.bias", "F32", heavy_tailed(rng, (32,))))
    t.append(("head.scale", "F32", np.array(0.5, dtype=np.float32)))
    t.append(("pooler.dense.weight", "F32", heavy_tailed(rng, (HIDDEN, HIDDEN))))
    return t


def tinyllama_shapes():
    """(name, shape) of TinyLlama-1.1B (22 layers, hidden 2048, intermediate 5632, 4 KV heads of
    64, vocab 32000): 201 tensors, 1.1 G parameters, the shape of `kmlut bench`'s checkpoint."""
    hidden, inter, kv, vocab = 2048, 5632, 256, 32000
    shapes = [("model.embed_tokens.weight", (vocab, hidden))]
    for layer in range(22):
        p = f"model.layers.{layer}"
        shapes += [(f"{p}.self_attn.q_proj.weight", (hidden, hidden)),
                   (f"{p}.self_attn.k_proj.weight", (kv, hidden)),
                   (f"{p}.self_attn.v_proj.weight", (kv, hidden)),
                   (f"{p}.self_attn.o_proj.weight", (hidden, hidden)),
                   (f"{p}.mlp.gate_proj.weight", (inter, hidden)),
                   (f"{p}.mlp.up_proj.weight", (inter, hidden)),
                   (f"{p}.mlp.down_proj.weight", (hidden, inter)),
                   (f"{p}.input_layernorm.weight", (hidden,)),
                   (f"{p}.post_attention_layernorm.weight", (hidden,))]
    return shapes + [("model.norm.weight", (hidden,)), ("lm_head.weight", (vocab, hidden))]


def write_tinyllama(path, rng):
    """F16, written tensor by tensor (2.2 GB never sits in memory)."""
    shapes = tinyllama_shapes()
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in shapes:
        size = 2 * int(np.prod(shape))
        header[name] = {"dtype": "F16", "shape": list(shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text)
        for name, shape in shapes:
            norm = len(shape) == 1
            values = np.ones(shape, np.float32) if norm else heavy_tailed(rng, shape)
            out.write(values.astype("<f2").tobytes())
    os.replace(path + ".tmp", path)


def encode(dtype, array):
    if dtype == "F32":
        return array.astype("<f4").tobytes()
    if dtype == "F16":
        return array.astype("<f2").tobytes()
    if dtype == "BF16":
        return bf16_bytes(array)
    if dtype == "I64":
        return array.astype("<i8").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, dtype, array in tensors:
        blob = encode(dtype, array)
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)
    os.replace(tmp, path)
    return offset


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", help="a .safetensors file, or a directory with --shards > 1")
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tinyllama", action="store_true",
                        help="a TinyLlama-shaped F16 checkpoint (2.2 GB) instead of the small model")
    args = parser.parse_args()
    if args.tinyllama:
        write_tinyllama(args.output, np.random.default_rng(args.seed))
        return
    tensors = model_tensors(np.random.default_rng(args.seed))
    metadata = {"format": "pt", "source": "kmlut tests/data/make_checkpoint.py"}
    if args.shards == 1:
        write_safetensors(args.output, tensors, metadata)
        return
    os.makedirs(args.output, exist_ok=True)
    per_shard = -(-len(tensors) // args.shards)
    weight_map, total = {}, 0
    for shard in range(args.shards):
        name = f"model-{shard + 1:05d}-of-{args.shards:05d}.safetensors"
        part = tensors[shard * per_shard:(shard + 1) * per_shard]
        total += write_safetensors(os.path.join(args.output, name), part, metadata)
        weight_map.update({tensor[0]: name for tensor in part})
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(args.output, "model.safetensors.index.json"), "w") as out:
        json.dump(index, out, indent=2)


if __name__ == "__main__":
    main()
