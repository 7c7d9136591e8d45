"""coreai_opt 0.3.0 itself as the oracle: builds a torch model whose modules carry a checkpoint's
tensors under the checkpoint's names, runs KMeansPalettizer(model, config).prepare(...) on it, and
returns which tensors it palettized and their reconstruction (the parametrized weight in eval
mode). Runs in .venv-oracle (scripts/oracle-venv.sh), which holds coreai-opt, torch and
safetensors.

The module kinds follow the names and ranks the way kmlut infers a bare checkpoint's model
(docs/config.md, "Model description"): a module whose last name component contains "embed" is an
Embedding, one with in_proj_weight a MultiheadAttention (its out_proj the usual child), a rank-2
weight a Linear, rank 3 a Conv1d, rank 4 a Conv2d, a rank-1 weight a LayerNorm.
"""
import logging
import warnings

import torch
from torch import nn
from torch.nn.utils import parametrize

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

from coreai_opt.palettization import KMeansPalettizer, KMeansPalettizerConfig  # noqa: E402


def _is_embedding(module_name):
    return "embed" in module_name.rsplit(".", 1)[-1].lower()


def _module_for(name, states):
    """A torch module for the states (state name -> tensor) one checkpoint module holds."""
    weight = states.get("weight")
    if _is_embedding(name) and weight is not None and weight.dim() == 2:
        return nn.Embedding(*weight.shape, dtype=weight.dtype)
    if "in_proj_weight" in states:
        embed = states["in_proj_weight"].shape[1]
        return nn.MultiheadAttention(embed, 1, bias="in_proj_bias" in states, batch_first=True,
                                     dtype=states["in_proj_weight"].dtype)
    if weight is None:
        return nn.Module()
    bias = "bias" in states
    if weight.dim() == 2:
        return nn.Linear(weight.shape[1], weight.shape[0], bias=bias, dtype=weight.dtype)
    if weight.dim() == 3:
        return nn.Conv1d(weight.shape[1], weight.shape[0], weight.shape[2], bias=bias,
                         dtype=weight.dtype)
    if weight.dim() == 4:
        return nn.Conv2d(weight.shape[1], weight.shape[0], tuple(weight.shape[2:]), bias=bias,
                         dtype=weight.dtype)
    if weight.dim() == 1:
        return nn.LayerNorm(weight.shape[0], elementwise_affine=True, bias=bias,
                            dtype=weight.dtype)
    return nn.Module()


def _example_input(module):
    """An input that makes `module` call its op once (zeros: only the tracing matters)."""
    if isinstance(module, nn.Embedding):
        return (torch.zeros(1, dtype=torch.long),)
    if isinstance(module, nn.MultiheadAttention):
        x = torch.zeros(1, 1, module.embed_dim, dtype=module.in_proj_weight.dtype)
        return (x, x, x)
    if isinstance(module, nn.Linear):
        return (torch.zeros(1, module.in_features, dtype=module.weight.dtype),)
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        w = module.weight
        return (torch.zeros(1, w.shape[1], *w.shape[2:], dtype=w.dtype),)
    if isinstance(module, nn.LayerNorm):
        return (torch.zeros(1, module.normalized_shape[0], dtype=module.weight.dtype),)
    return None


class CheckpointModel(nn.Module):
    """The checkpoint's modules in a tree named as the checkpoint; forward calls each leaf once."""

    def __init__(self, tensors):
        super().__init__()
        by_module = {}
        for name, tensor in tensors.items():
            module, _, state = name.rpartition(".")
            by_module.setdefault(module, {})[state] = tensor
        self._leaves = []
        # Parents before children, so an MHA exists before its out_proj's tensors are put in.
        for module_name in sorted(by_module, key=lambda m: m.count(".")):
            states = by_module[module_name]
            existing = self._find(module_name)
            module = existing if existing is not None else _module_for(module_name, states)
            if existing is None:
                self._attach(module_name, module)
                self._leaves.append(module)
            for state, tensor in states.items():
                if state in module._parameters or isinstance(getattr(module, state, None),
                                                             nn.Parameter):
                    setattr(module, state, nn.Parameter(tensor.clone(), requires_grad=False))
                else:
                    module.register_buffer(state, tensor.clone())

    def _find(self, path):
        try:
            return self.get_submodule(path) if path else self
        except AttributeError:
            return None

    def _attach(self, path, module):
        parent = self
        parts = path.split(".")
        for part in parts[:-1]:
            if not hasattr(parent, part):
                parent.add_module(part, nn.Module())
            parent = getattr(parent, part)
        parent.add_module(parts[-1], module)

    def forward(self, x):
        outputs = []
        for module in self._leaves:
            args = _example_input(module)
            if args is not None:
                outputs.append(module(*args))
        return x


def palettize(tensors, config_path, sensitivity_path=None):
    """{name: reconstructed tensor} for every tensor coreai_opt palettized."""
    torch.manual_seed(0)
    model = CheckpointModel(tensors).eval()
    config = KMeansPalettizerConfig.from_yaml(config_path)
    example = (torch.zeros(1),)
    prepared = KMeansPalettizer(model, config).prepare(example, sensitivity_path=sensitivity_path)
    prepared.eval()
    out = {}
    with torch.no_grad():
        for name in tensors:
            module_name, _, state = name.rpartition(".")
            module = prepared.get_submodule(module_name) if module_name else prepared
            if parametrize.is_parametrized(module, state):
                out[name] = getattr(module, state).detach().clone()
    return out
