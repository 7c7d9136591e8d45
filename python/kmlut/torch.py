"""kmlut.torch: palettize a torch module in place, as coreai_opt's
KMeansPalettizer(module, config).prepare(...) does, in one call (docs/python.md, "torch").

The config is resolved on the module's real structure: its named modules with their types as
fully qualified class paths, its parameters, and for the standard torch.nn modules the op their
forward calls (Linear -> linear, Conv1d/2d/3d -> conv1d/2d/3d, ConvTranspose1d/2d/3d ->
conv_transpose1d/2d/3d, MultiheadAttention -> multi_head_attention_forward; Embedding and the norms
call no op coreai_opt palettizes). coreai_opt instead traces a forward pass and also sees torch
functions that other modules call on their own parameters (a custom module calling F.linear);
here such parameters are reached only through module_state_spec.
"""
import json

import torch
from torch import nn

from . import _kmlut
from ._config import config_arguments
from ._tensor import palettize_requests, tensor_request

# isinstance order matters only where classes derive from one another; these do not.
_OPS = ((nn.Linear, "linear"), (nn.Conv1d, "conv1d"), (nn.Conv2d, "conv2d"), (nn.Conv3d, "conv3d"),
        (nn.ConvTranspose1d, "conv_transpose1d"), (nn.ConvTranspose2d, "conv_transpose2d"),
        (nn.ConvTranspose3d, "conv_transpose3d"),
        (nn.MultiheadAttention, "multi_head_attention_forward"))

_DTYPES = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32",
           torch.float64: "F64", torch.int8: "I8", torch.uint8: "U8", torch.int16: "I16",
           torch.int32: "I32", torch.int64: "I64", torch.bool: "BOOL"}


def _type_name(module):
    cls = type(module)
    return f"{cls.__module__}.{cls.__qualname__}"


def _op_type(module):
    for cls, op in _OPS:
        if isinstance(module, cls):
            return op
    return None


def _op_name(module_name, op_type):
    # coreai_opt names an op "<module>.<function>", just "<function>" at the root.
    return f"{module_name}.{op_type}" if module_name else op_type


def _never_called(module):
    """Names of modules whose forward never runs: a MultiheadAttention's out_proj is a Linear
    whose weight and bias the attention passes to F.multi_head_attention_forward itself."""
    return {f"{name}.out_proj" if name else "out_proj"
            for name, child in module.named_modules() if isinstance(child, nn.MultiheadAttention)}


def describe_module(module):
    """(manifest dict, {parameter name: parameter}) of `module` (docs/manifest.md). Each parameter
    goes by its first name in named_parameters(); a tied parameter is a state of every module that
    holds it."""
    parameters = {name: p for name, p in module.named_parameters() if p.dtype in _DTYPES}
    canonical = {id(p): name for name, p in parameters.items()}
    never_called = _never_called(module)
    modules = []
    for name, child in module.named_modules():
        states = {local: canonical[id(p)] for local, p in child.named_parameters(recurse=False)
                  if id(p) in canonical}
        op_type = None if name in never_called else _op_type(child)
        if op_type == "multi_head_attention_forward":
            # coreai_opt knows out_proj's weight and bias by their local names.
            for local, p in child.out_proj.named_parameters(recurse=False):
                if id(p) in canonical:
                    states.setdefault(local, canonical[id(p)])
        ops = []
        if op_type is not None and states:
            ops.append({"name": _op_name(name, op_type), "type": op_type, "states": list(states)})
        modules.append({"name": name, "type": _type_name(child), "states": states, "ops": ops})
    return {"kmlut_manifest": 1, "modules": modules}, parameters


def _replace(parameter, dense):
    """Writes `dense` over the parameter's values: a byte copy through numpy for a contiguous CPU
    parameter (torch's copy_ spins up its thread pool for each tensor), copy_ otherwise."""
    target = parameter.detach()
    if target.device.type == "cpu" and target.is_contiguous():
        target.view(-1).view(torch.uint8).numpy()[:] = dense.reshape(-1).view(torch.uint8).numpy()
    else:
        with torch.no_grad():
            parameter.copy_(dense)


def plan(module, config=None, *, preset=None):
    """The jobs resolution gives for `module` (as kmlut.plan does for a checkpoint), as dicts."""
    manifest, parameters = describe_module(module)
    infos = [(name, _DTYPES[p.dtype], list(p.shape)) for name, p in parameters.items()]
    path, text, preset_name = config_arguments(config, preset)
    document = _kmlut.plan_model(json.dumps(manifest), infos, path, text, preset_name)
    return json.loads(document)["jobs"]


def palettize_(module, config=None, *, preset=None, backend="auto", threads=None, seed=0):
    """Palettizes the parameters `config` selects on `module` and replaces each in place with its
    reconstruction (same dtype, shape and device). Returns {parameter name: PalettizeResult} for
    the selected parameters (a skipped one has skip_reason set and is left unchanged). `config`:
    a path, a dict in the coreai_opt schema or a coreai_opt KMeansPalettizerConfig."""
    jobs = plan(module, config, preset=preset)
    parameters = dict(module.named_parameters())
    selected = [job for job in jobs if job["spec"] is not None]
    requests = [tensor_request(job["tensor"], parameters[job["tensor"]], job["spec"],
                               fast_mode=job["enable_fast_kmeans_mode"],
                               rounding_precision=job["rounding_precision"],
                               op_type=job["op_type"] or "")
                for job in selected]
    results = palettize_requests(requests, backend=backend, threads=threads, seed=seed)
    for job, result in zip(selected, results):
        if result.palettized:
            _replace(parameters[job["tensor"]], result.dense())
    return {job["tensor"]: result for job, result in zip(selected, results)}
