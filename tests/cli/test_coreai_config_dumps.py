#!/usr/bin/env python3
"""coreai_opt 0.3.0's own config files load in kmlut: its presets and feature-rich configs are
built by coreai_opt (from_dict), dumped with to_dict() as a user would write them (YAML and JSON,
torch dtypes and classes written as strings), and `kmlut plan` must give the same jobs as for the
hand-written equivalent, listing the training-only keys as ignored. A dump value kmlut cannot
honour must be an error naming the key.

Runs in .venv-oracle (tests/oracles/oracle_venv.py). Usage: test_coreai_config_dumps.py KMLUT WORK
"""
import enum
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "oracles"))
from oracle_venv import reexec_in_oracle_venv  # noqa: E402

reexec_in_oracle_venv(__file__)

import torch  # noqa: E402
import yaml  # noqa: E402
from coreai_opt.palettization import KMeansPalettizerConfig  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from checks import FAILURES, check  # noqa: E402


FEATURES = """kmeans_palettization_config:
  global_config:
    op_state_spec:
      weight: {n_bits: 3, granularity: {type: per_grouped_channel, axis: 1, group_size: 16},
               enable_per_channel_scale: true, lut_qspec: {dtype: uint8, qscheme: asymmetric}}
      in_proj_weight: {n_bits: 2, cluster_dim: 2}
    enable_fast_kmeans_mode: false
    rounding_precision: 3
    op_name_config:
      'layers\\\\.0\\\\.q\\\\.linear':
        op_state_spec: {weight: {n_bits: 6, lut_qspec: {dtype: int8, qscheme: symmetric}}}
    op_type_config:
      conv2d: null
  module_type_configs:
    torch.nn.modules.sparse.Embedding:
      module_state_spec: {weight: {n_bits: 8}}
  module_name_configs:
    'layers\\\\.1\\\\..*': null
"""


def as_strings(value):
    """to_dict() output with torch dtypes, enums and classes written as strings (str())."""
    if isinstance(value, dict):
        return {str(k): as_strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_strings(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (torch.dtype, type)):
        return str(value)
    return value


def without_decided_by(jobs):
    return [{key: value for key, value in job.items() if key != "decided_by"} for job in jobs]


def plan(config_args, checkpoint):
    result = subprocess.run([KMLUT, "plan", checkpoint, *config_args, "--json"],
                            capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout, result.stderr


def compare(label, dump, handwritten_args, checkpoint, work):
    for suffix, text in (("yaml", yaml.safe_dump(dump, sort_keys=False)), ("json", json.dumps(dump))):
        path = os.path.join(work, f"{label}.{suffix}")
        with open(path, "w") as f:
            f.write(text)
        code, out, err = plan(["--config", path], checkpoint)
        if not check(code == 0, f"{label}.{suffix}: kmlut plan accepts the dump ({err.strip()})"):
            continue
        code, expected, err = plan(handwritten_args, checkpoint)
        check(code == 0, f"{label}: hand-written plan exits 0 ({err.strip()})")
        got = json.loads(out)
        # The same tensors with the same specs and settings. Which entry decided may be worded
        # differently: coreai_opt dumps a None op config as {"op_state_spec": {"*": None}}, which
        # disables the op through a "*" entry where the hand-written null has no entry at all.
        check(without_decided_by(got["jobs"]) == without_decided_by(json.loads(expected)["jobs"]),
              f"{label}.{suffix}: same jobs")
        ignored = " ".join(got["ignored_keys"])
        check("pat_schedule" in ignored and "training_strategy_spec" in ignored,
              f"{label}.{suffix}: training-only keys listed as ignored ({ignored[:200]})")


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    checkpoint = os.path.join(work, "model.safetensors")
    save_file({"embed_tokens.weight": torch.randn(64, 32, generator=g),
               "layers.0.q.weight": torch.randn(32, 32, generator=g),
               "layers.0.conv.weight": torch.randn(32, 16, 3, 3, generator=g),
               "layers.0.mha.in_proj_weight": torch.randn(96, 32, generator=g),
               "layers.1.up.weight": torch.randn(64, 32, generator=g),
               "norm.weight": torch.ones(32)}, checkpoint)
    presets = {"w4": KMeansPalettizerConfig.presets.w4(), "w6": KMeansPalettizerConfig.presets.w6(),
               "w8": KMeansPalettizerConfig.presets.w8()}
    for name, config in presets.items():
        compare(name, as_strings(config.to_dict()), ["--preset", name], checkpoint, work)
    handwritten = os.path.join(work, "features-handwritten.yaml")
    with open(handwritten, "w") as f:
        f.write(FEATURES)
    features = KMeansPalettizerConfig.from_yaml(handwritten)
    compare("features", as_strings(features.to_dict()), ["--config", handwritten], checkpoint, work)
    # A value that changes the post-training result and that kmlut cannot honour: an error that
    # names the key.
    dump = as_strings(features.to_dict())
    spec = dump["kmeans_palettization_config"]["global_config"]["op_state_spec"]["weight"]
    for key, value in (("float_range", [-1.0, 1.0]), ("range_calculator_cls", "moving_average"),
                       ("qformulation", "minval")):
        bad = json.loads(json.dumps(dump))
        bad["kmeans_palettization_config"]["global_config"]["op_state_spec"]["weight"][
            "lut_qspec"][key] = value
        path = os.path.join(work, f"bad-{key}.json")
        with open(path, "w") as f:
            json.dump(bad, f)
        code, _, err = plan(["--config", path], checkpoint)
        check(code != 0 and key in err, f"{key}={value}: an error naming the key ({err.strip()})")
    check(spec["lut_qspec"]["dtype"] == "torch.uint8", "the dump writes dtypes as torch.* strings")
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print("all config dumps load with the hand-written plans")
    return 0


if __name__ == "__main__":
    sys.exit(main())
