"""kmlut.torch.palettize_ against coreai_opt 0.3.0's KMeansPalettizer(module, config).prepare() on
the same module and config: the same parameters selected and bit-identical reconstructions. Every
difference is collected and reported (parameter, how many elements differ, the largest gap).

A tied parameter is compared under its first name: coreai_opt parametrizes it on the module whose op
selected it (lm_head.weight) and leaves the other user (the embedding) dense, while palettize_
replaces the one shared parameter (docs/python.md, "torch")."""
import copy

import pytest

from conftest import require

SPEC_G16 = {"n_bits": 4, "granularity": {"type": "per_grouped_channel", "axis": None,
                                         "group_size": 16}}
CONFIGS = {
    "coreai_default": None,  # KMeansPalettizerConfig(): 4-bit per-tensor weights
    "grouped_by_type_and_name": {"kmeans_palettization_config": {
        "global_config": {"op_state_spec": {"weight": SPEC_G16, "in_proj_weight": SPEC_G16}},
        "module_type_configs": {
            "torch.nn.modules.conv.Conv2d": {
                "op_state_spec": {"weight": {"n_bits": 3, "enable_per_channel_scale": True}}},
            "torch.nn.modules.sparse.Embedding": {
                "module_state_spec": {"weight": {"n_bits": 6}}}},
        "module_name_configs": {
            "blocks\\.1": {"op_type_config": {"linear": {"op_state_spec": {"weight": {
                "n_bits": 2, "granularity": {"type": "per_grouped_channel", "axis": 1,
                                             "group_size": 32}}}}},
                           "op_state_spec": {"in_proj_weight": None}},
            "lm_head": None}}},
    "lut_qspec": {"kmeans_palettization_config": {"global_config": {"op_state_spec": {
        "weight": {"n_bits": 4, "lut_qspec": {"dtype": "int8", "qscheme": "symmetric"}},
        "in_proj_weight": {"n_bits": 3, "lut_qspec": {"dtype": "uint8",
                                                      "qscheme": "asymmetric"}}}}}},
}


def coreai_config(palettization, config):
    if config is None:
        return palettization.KMeansPalettizerConfig()
    return palettization.KMeansPalettizerConfig.from_dict(config)


def reconstructions(module, names):
    """name -> the tensor the module now uses (coreai_opt's parametrized weight or the plain one)."""
    out = {}
    for name in names:
        owner, _, state = name.rpartition(".")
        out[name] = getattr(module.get_submodule(owner) if owner else module, state).detach()
    return out


def parametrized(module):
    names = set()
    for name, sub in module.named_modules():
        for state in getattr(sub, "parametrizations", {}):
            names.add(f"{name}.{state}" if name else state)
    return names


def differences(torch, expected, actual):
    report = []
    for name in sorted(expected):
        a, b = expected[name], actual[name]
        if a.dtype != b.dtype or a.shape != b.shape:
            report.append(f"{name}: {a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}")
            continue
        bits = {2: torch.int16, 4: torch.int32, 8: torch.int64}[a.element_size()]
        differ = a.view(bits) != b.view(bits)
        if differ.any():
            gap = (a.double() - b.double()).abs().max().item()
            report.append(f"{name}: {int(differ.sum())} of {a.numel()} elements differ, "
                          f"max |diff| {gap:.3g}")
    return report


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("label", list(CONFIGS))
def test_palettize_matches_coreai_opt_prepare(label, dtype):
    torch = require("torch")
    palettization = require("coreai_opt.palettization")
    import kmlut.torch
    from torch_models import Mixed, example_inputs
    torch.manual_seed(0)
    model = Mixed().to(getattr(torch, dtype)).eval()
    model.lm_head.weight = model.embed_tokens.weight  # tied, as in language models
    first_name, seen = {}, {}
    for name, parameter in model.named_parameters(remove_duplicate=False):
        first_name[name] = seen.setdefault(id(parameter), name)
    theirs, ours = copy.deepcopy(model), copy.deepcopy(model)
    config = CONFIGS[label]

    palettization.KMeansPalettizer(theirs, coreai_config(palettization, config)).prepare(
        example_inputs())
    results = kmlut.torch.palettize_(ours, coreai_config(palettization, config), backend="cpu")

    coreai_names = parametrized(theirs)
    selected_by_coreai = {first_name[name] for name in coreai_names}
    selected_by_kmlut = {name for name, result in results.items() if result.palettized}
    assert selected_by_kmlut == selected_by_coreai
    # Where coreai_opt's reconstruction of each parameter lives: its parametrized alias, if any.
    coreai_name = {first_name[name]: name for name in sorted(first_name) if name in coreai_names}
    for name in set(first_name.values()):
        coreai_name.setdefault(name, name)
    expected = reconstructions(theirs, coreai_name.values())
    expected = {first: expected[theirs_name] for first, theirs_name in coreai_name.items()}
    report = differences(torch, expected, reconstructions(ours, coreai_name))
    assert not report, f"{label}/{dtype}: reconstructions differ from coreai_opt:\n" + \
        "\n".join(report)
