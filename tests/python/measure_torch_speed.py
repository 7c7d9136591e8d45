#!/usr/bin/env python3
"""Measures kmlut.torch.palettize_ against coreai_opt 0.3.0's KMeansPalettizer(module,
config).prepare() on the same module, config and thread count, and checks on the way that both
select the same parameters. Not a test (timings vary); its figures go to the notes.

Usage: measure_torch_speed.py [--width 256] [--blocks 4] [--threads 2] [--spec grouped|per_tensor]
"""
import argparse
import copy
import time
import warnings

import torch
from coreai_opt.palettization import KMeansPalettizer, KMeansPalettizerConfig

import kmlut.torch
from torch_models import Mixed, example_inputs

GROUPED = {"n_bits": 4, "granularity": {"type": "per_grouped_channel", "axis": None,
                                        "group_size": 16}}
PER_TENSOR = {"n_bits": 4, "granularity": {"type": "per_tensor"}}  # coreai_opt's default


def config(spec):
    return {"kmeans_palettization_config": {"global_config": {
        "op_state_spec": {"weight": spec, "in_proj_weight": spec}}}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--spec", choices=["grouped", "per_tensor"], default="grouped")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Mixed(width=args.width, blocks=args.blocks).eval()
    parameters = sum(p.numel() for p in model.parameters())
    theirs, ours = copy.deepcopy(model), copy.deepcopy(model)
    chosen = config(GROUPED if args.spec == "grouped" else PER_TENSOR)

    # kmlut first: coreai_opt's prepare leaves worker threads and caches behind that would slow
    # whatever runs after it in this process.
    start = time.perf_counter()
    results = kmlut.torch.palettize_(ours, chosen, backend="cpu", threads=args.threads)
    kmlut_seconds = time.perf_counter() - start
    start = time.perf_counter()
    KMeansPalettizer(theirs, KMeansPalettizerConfig.from_dict(chosen)).prepare(example_inputs())
    coreai_seconds = time.perf_counter() - start

    selected = sum(result.palettized for result in results.values())
    print(f"module: Mixed(width={args.width}, blocks={args.blocks}), {parameters} parameters, "
          f"{selected} palettized, 4-bit {args.spec}; {args.threads} threads")
    print(f"coreai_opt prepare: {coreai_seconds:.2f} s; kmlut.torch.palettize_: "
          f"{kmlut_seconds:.3f} s; ratio {coreai_seconds / kmlut_seconds:.0f}x")


if __name__ == "__main__":
    main()
