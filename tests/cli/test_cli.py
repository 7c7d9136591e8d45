#!/usr/bin/env python3
"""End-to-end tests of the kmlut command line: exit codes, messages and `plan --json` decisions.

Usage: test_cli.py KMLUT_BINARY WORK_DIR. The expected decisions below were worked out by hand from
the precedence rules of docs/architecture.md §5.2, not taken from kmlut's output.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
from checks import FAILURES, check

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = os.path.join(HERE, "..", "data", "make_checkpoint.py")


def run(*args):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout, result.stderr


def write(path, text):
    with open(path, "w") as out:
        out.write(text)
    return path


PRECEDENCE_CONFIG = r"""
palettization_spec:
  two_bit: &two {n_bits: 2}
kmeans_palettization_config:
  global_config:
    op_state_spec: {weight: {n_bits: 4}}
    op_type_config:
      aten.conv2d.default: {op_state_spec: {weight: {n_bits: 8}}}
    op_name_config:
      '.*intermediate\.dense\.linear': {op_state_spec: {weight: *two}}
      '.*output\.dense\.linear': {op_state_spec: {weight: {n_bits: 3}, '*': {n_bits: 6}}}
  module_type_configs:
    torch.nn.modules.activation.MultiheadAttention:
      op_state_spec:
        in_proj_weight: {n_bits: 6, granularity: {type: per_grouped_channel, group_size: 16}}
    torch.nn.modules.sparse.Embedding:
      module_state_spec: {weight: {n_bits: 8}}
  module_name_configs:
    'encoder\.layer\.1\.output\.dense': {op_state_spec: {weight: {n_bits: 6}}}
    'encoder\.layer\.1':
      op_state_spec: {weight: {n_bits: 1}}
      module_state_spec: {bias: {n_bits: 8}}
    'encoder\.layer\.1\.attention\.self\.key':
      op_state_spec: {weight: {n_bits: 3}}
      module_state_spec: {bias: {n_bits: 8}}
    'embeddings\.position_embeddings': {module_state_spec: {weight: {n_bits: 3}}}
    'embeddings\.LayerNorm': {module_state_spec: {weight: *two}}
    'pooler\.dense': null
"""

# tensor -> (n_bits or None, a piece of decided_by)
EXPECTED = {
    # global op_state_spec
    "encoder.layer.0.attention.self.query.weight": (4, 'global_config > op_state_spec["weight"]'),
    "encoder.layer.0.attention.self.query.bias": (None, 'no entry for "bias"'),
    # op_name_config beats op_state_spec; the last defined matching pattern wins
    "encoder.layer.0.intermediate.dense.weight": (2, "op_name_config"),
    "encoder.layer.0.output.dense.weight": (3, "op_name_config"),
    "encoder.layer.0.attention.output.dense.weight": (3, "op_name_config"),
    # an exact state name beats "*" inside one spec map
    "encoder.layer.0.output.dense.bias": (6, 'op_state_spec["*"]'),
    # op_type_config (aten spelling) beats op_state_spec
    "vision.stem.conv.weight": (8, 'op_type_config["conv2d"]'),
    "vision.stem.conv.bias": (None, 'no entry for "bias"'),
    # module type beats global
    "fusion.attn.in_proj_weight": (6, "module_type_configs"),
    # inherited from the MHA ancestor: its op_state_spec names only in_proj_weight
    "fusion.attn.out_proj.weight": (None, 'via ancestor "fusion.attn"'),
    # embeddings: only module_state_spec reaches them; name beats type
    "embeddings.word_embeddings.weight": (8, 'module_state_spec["weight"]'),
    "embeddings.position_embeddings.weight": (3, "module_name_configs"),
    # a norm: module_state_spec by name; its bias is not named
    "embeddings.LayerNorm.weight": (2, 'module_state_spec["weight"]'),
    "embeddings.LayerNorm.bias": (None, "no op consumes it"),
    "encoder.layer.0.attention.output.LayerNorm.weight": (None, "no op consumes it"),
    # a later pattern on an ancestor beats an earlier pattern on the module itself
    "encoder.layer.1.output.dense.weight": (1, 'via ancestor "encoder.layer.1"'),
    "encoder.layer.1.intermediate.dense.weight": (1, 'via ancestor "encoder.layer.1"'),
    # inherited configs drop module_state_spec
    "encoder.layer.1.attention.self.query.bias": (None, 'via ancestor "encoder.layer.1"'),
    # a later direct pattern beats an earlier ancestor pattern and keeps module_state_spec
    "encoder.layer.1.attention.self.key.weight": (3, "attention\\\\.self\\\\.key"),
    "encoder.layer.1.attention.self.key.bias": (8, 'module_state_spec["bias"]'),
    # null module config: disabled
    "pooler.dense.weight": (None, "(null: disabled)"),
    # not eligible
    "embeddings.position_ids": (None, "not eligible: dtype I64"),
    "head.scale": (None, "fewer than 2 elements"),
}


def safetensors_names(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    return [name for name in header if name != "__metadata__"]


def test_inspect(single, sharded):
    code, out, err = run("inspect", single)
    check(code == 0, f"inspect exits 0 (got {code}: {err})")
    for name in safetensors_names(single):
        check(name in out, f"inspect lists {name}")
    code, out, _ = run("inspect", single, "--json")
    document = json.loads(out)
    check(sorted(t["name"] for t in document["tensors"]) == sorted(safetensors_names(single)),
          "inspect --json lists exactly the file's tensors")
    check(document["files"][0]["metadata"].get("format") == "pt", "inspect --json shows metadata")
    code, out, _ = run("inspect", sharded)
    check(code == 0 and "sharded" in out and "model-00002-of-00003.safetensors" in out,
          "inspect on a sharded directory names the shards")


def test_plan_precedence(single, work):
    config = write(os.path.join(work, "precedence.yaml"), PRECEDENCE_CONFIG)
    code, out, err = run("plan", single, "--config", config, "--json")
    check(code == 0, f"plan --json exits 0 (got {code}: {err})")
    jobs = {job["tensor"]: job for job in json.loads(out)["jobs"]}
    check(sorted(jobs) == sorted(safetensors_names(single)), "one job per tensor")
    for tensor, (n_bits, reason) in EXPECTED.items():
        job = jobs[tensor]
        got = job["spec"]["n_bits"] if job["spec"] else None
        check(got == n_bits, f"{tensor}: n_bits {got}, expected {n_bits} ({job['decided_by']})")
        check(reason in job["decided_by"], f"{tensor}: decided_by {job['decided_by']!r} lacks {reason!r}")
    mha = jobs["fusion.attn.in_proj_weight"]["spec"]
    check(mha["granularity"] == {"type": "per_grouped_channel", "axis": 0, "group_size": 16},
          f"null axis resolves to the op's default: {mha['granularity']}")
    query = jobs["encoder.layer.0.attention.self.query.weight"]
    for key in ("tensor", "shape", "dtype", "module", "module_type", "op", "op_type", "state",
                "spec", "enable_fast_kmeans_mode", "rounding_precision", "decided_by"):
        check(key in query, f"plan job has {key}")
    check(query["module_type"] == "torch.nn.modules.linear.Linear" and query["op_type"] == "linear"
          and query["op"] == "encoder.layer.0.attention.self.query.linear"
          and query["dtype"] == "F16" and query["shape"] == [64, 64], f"job fields: {query}")
    check(set(query["spec"]) == {"n_bits", "granularity", "cluster_dim",
                                 "enable_per_channel_scale", "lut_qspec"},
          "spec uses the config schema's field names")


def test_plan_table_and_presets(single, sharded):
    code, out, err = run("plan", single, "--preset", "w4")
    check(code == 0 and "4-bit group 16 axis 0" in out, f"plan table with --preset w4 ({err})")
    code, out, _ = run("plan", os.path.join(sharded, "model.safetensors.index.json"), "--json")
    check(code == 0 and len(json.loads(out)["jobs"]) == len(EXPECTED_ALL), "plan on an index file")


def test_manifest(single, work):
    manifest = write(os.path.join(work, "manifest.json"), json.dumps({
        "kmlut_manifest": 1,
        "modules": [{"name": "vision.stem.conv", "type": "torch.nn.modules.conv.ConvTranspose2d",
                     "ops": [{"type": "conv_transpose2d"}]}]}))
    code, out, err = run("plan", single, "--preset", "w4", "--manifest", manifest, "--json")
    check(code == 0, f"plan with a manifest exits 0 ({err})")
    conv = {j["tensor"]: j for j in json.loads(out)["jobs"]}["vision.stem.conv.weight"]
    check(conv["op_type"] == "conv_transpose2d" and conv["spec"]["granularity"]["axis"] == 0,
          f"preset axis 0 stays 0 for a manifest conv-transpose: {conv}")
    bad = write(os.path.join(work, "bad-manifest.json"), '{"kmlut_manifest": 1, "modules": 3}')
    code, _, err = run("plan", single, "--manifest", bad)
    check(code == 3 and "bad-manifest.json: modules: expected an array" in err,
          f"bad manifest exits 3 naming it ({code}: {err})")


def test_config_errors(single, work):
    cases = {
        "n_bits.yaml": ("kmeans_palettization_config:\n  global_config:\n    op_state_spec:\n"
                        "      weight: {n_bits: 5}\n",
                        "kmeans_palettization_config.global_config.op_state_spec.weight.n_bits: "
                        "5 is not one of 1, 2, 3, 4, 6, 8"),
        "regex.json": ('{"kmeans_palettization_config": {"module_name_configs": {"(": null}}}',
                       "invalid regular expression"),
        "unknown.json": ('{"kmeans_palettization_config": {"global_config": {"colour": 1}}}',
                         'unknown key "colour"'),
        "syntax.yaml": ("kmeans_palettization_config: [unclosed\n", "syntax.yaml"),
    }
    for name, (text, message) in cases.items():
        path = write(os.path.join(work, name), text)
        code, _, err = run("plan", single, "--config", path)
        check(code == 2 and message in err, f"{name}: exit 2 with {message!r} (got {code}: {err})")
    code, _, err = run("plan", single, "--config", os.path.join(work, "n_bits.yaml"),
                       "--preset", "w4")
    check(code == 2 and "excludes" in err and "--config" in err and "--preset" in err,
          f"--config with --preset exits 2 naming both ({code}: {err})")
    code, _, err = run("plan", single, "--preset", "w5")
    check(code == 2 and "--preset" in err and "w5" in err and "w4, w6, w8" in err,
          f"unknown preset exits 2 naming it and the choices ({code}: {err})")


def test_input_errors(single, work):
    truncated = os.path.join(work, "truncated.safetensors")
    with open(single, "rb") as src, open(truncated, "wb") as dst:
        dst.write(src.read(os.path.getsize(single) - 7))
    for command in ("inspect", "plan"):
        code, _, err = run(command, truncated)
        check(code == 3 and "truncated.safetensors" in err, f"{command} truncated: exit 3 ({code}: {err})")
    garbage = write(os.path.join(work, "garbage.safetensors"), "this is not a checkpoint at all")
    code, _, err = run("inspect", garbage)
    check(code == 3 and "garbage.safetensors" in err, f"garbage file: exit 3 ({code}: {err})")
    code, _, err = run("inspect", os.path.join(work, "missing.safetensors"))
    check(code == 3 and "missing.safetensors" in err, f"missing file: exit 3 ({code}: {err})")
    empty_dir = os.path.join(work, "empty-dir")
    os.makedirs(empty_dir, exist_ok=True)
    code, _, err = run("plan", empty_dir)
    check(code == 3 and "empty-dir" in err, f"empty directory: exit 3 ({code}: {err})")


def test_usage_errors(single):
    for args in (("plan",), ("frobnicate",), ("plan", single, "--no-such-option"), ()):
        code, _, _ = run(*args)
        check(code == 2, f"usage error {args} exits 2 (got {code})")
    output = os.path.join(os.path.dirname(single), "never-written.safetensors")
    for value in ("lots", "0", "-1G", "2X", "", "99999999999T"):
        code, _, err = run("palettize", single, output, "--memory-budget", value, "--quiet")
        check(code == 2 and "--memory-budget" in err,
              f"--memory-budget {value!r} exits 2 naming the option ({code}: {err})")
    code, _, err = run("palettize", single, output, "--backend", "tpu", "--quiet")
    check(code == 2 and "--backend" in err and "tpu" in err,
          f"--backend tpu exits 2 naming the option and value ({code}: {err})")
    check(not os.path.exists(output), "a usage error writes no output")
    for value in ("64M", "64mib", "1G", "268435456"):
        code, _, err = run("palettize", single, output, "--memory-budget", value, "--quiet",
                           "--preset", "w8", "--force")
        check(code == 0, f"--memory-budget {value} is a size ({code}: {err})")
    os.remove(output)
    code, out, _ = run("--help")
    check(code == 0 and "plan" in out and "inspect" in out, "--help lists the subcommands")


def main():
    global KMLUT, EXPECTED_ALL
    KMLUT, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    single = os.path.join(work, "model.safetensors")
    sharded = os.path.join(work, "sharded")
    subprocess.run([sys.executable, GENERATOR, single], check=True)
    subprocess.run([sys.executable, GENERATOR, sharded, "--shards", "3"], check=True)
    EXPECTED_ALL = safetensors_names(single)
    test_inspect(single, sharded)
    test_plan_precedence(single, work)
    test_plan_table_and_presets(single, sharded)
    test_manifest(single, work)
    test_config_errors(single, work)
    test_input_errors(single, work)
    test_usage_errors(single)
    print(f"{len(FAILURES)} failure(s)")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
