#!/usr/bin/env python3
"""Turns coreai_opt's sensitivity file into kmlut's: coreai_opt's calibration_mode(sensitivity_path=)
writes torch.save({"<module>.parametrizations.<state>.original": tensor}) with the sensitivities
already normalized; `kmlut palettize --sensitivities` reads a safetensors file with one tensor per
palettized tensor under the tensor's own name ("<module>.<state>"). Needs torch and safetensors
(the venv scripts/oracle-venv.sh makes has both).

Usage: coreai_sensitivities_to_safetensors.py SENSITIVITIES.pt OUT.safetensors
"""
import sys


def tensor_name(parameter):
    """"a.b.parametrizations.weight.original" -> "a.b.weight"."""
    module, marker, rest = parameter.rpartition(".parametrizations.")
    if not marker or not rest.endswith(".original"):
        return parameter
    state = rest[: -len(".original")]
    return f"{module}.{state}" if module else state


def convert(source, destination):
    import torch
    from safetensors.torch import save_file

    saved = torch.load(source, weights_only=True)
    save_file({tensor_name(k): v.float().contiguous() for k, v in saved.items()}, destination)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    convert(sys.argv[1], sys.argv[2])
