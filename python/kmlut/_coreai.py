"""coreai_opt config objects in the config schema (docs/config.md). KMeansPalettizerConfig.to_dict()
is not plain JSON: a disabled module config comes out with activation specs {"*": None}, and a
lut_qspec as a whole quantization spec holding torch dtypes, enums and classes. This turns such a
dict into the schema's own form, and refuses LUT quantization settings kmlut does not implement
instead of dropping them."""
import enum

_ACTIVATION_KEYS = ("op_input_spec", "op_output_spec", "module_input_spec", "module_output_spec")
_QUANT_RANGES = {"int8": (-128, 127), "uint8": (0, 255)}
# What coreai_opt 0.3.0 fills in for a lut_qspec given as {"dtype", "qscheme"}.
_IMPLIED = {"qformulation": "zp", "granularity": {"axis": None, "type": "per_tensor"},
            "fake_quantize_cls": "_DefaultFakeQuantizeImpl",
            "qparam_calculator_cls": "_DefaultQParamsCalculator",
            "range_calculator_cls": "MinMaxRangeCalculator", "float_range": [None, None],
            "scale_dtype": None, "n_bits": 8}


def _plain(value):
    """torch.int8 -> "int8", enums -> their value, classes -> their name, tuples -> lists."""
    if type(value).__module__ == "torch" and type(value).__name__ == "dtype":
        return str(value).removeprefix("torch.")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _lut_qspec(spec, path):
    if spec is None:
        return None
    plain = _plain(spec)
    dtype = plain.get("dtype")
    for key, implied in _IMPLIED.items():
        if key in plain and plain[key] != implied:
            raise ValueError(f"{path}.{key}: kmlut implements {implied!r} only, got {plain[key]!r}")
    if dtype in _QUANT_RANGES:
        low, high = _QUANT_RANGES[dtype]
        for key, want in (("target_dtype", dtype), ("quant_min", low), ("quant_max", high),
                          ("_quant_range", [low, high])):
            if key in plain and plain[key] != want:
                raise ValueError(f"{path}.{key}: kmlut implements {want!r} only, got "
                                 f"{plain[key]!r}")
    return {key: plain[key] for key in ("dtype", "qscheme") if key in plain}


def _is_disabled_dump(value):
    """How to_dict() writes a module config given as None: every spec map {"*": None}, nothing
    else set."""
    return (isinstance(value, dict) and value.get("op_state_spec") == {"*": None}
            and all(value.get(key) == {"*": None} for key in ("op_input_spec", "op_output_spec"))
            and not value.get("op_type_config") and not value.get("op_name_config")
            and not value.get("module_state_spec"))


def schema_dict(value, path="kmeans_palettization_config"):
    """A KMeansPalettizerConfig.to_dict() result in the config schema's plain JSON form; a
    disabled module config becomes null again, as it was written."""
    if _is_disabled_dump(value):
        return None
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            where = f"{path}.{key}" if key != "kmeans_palettization_config" else key
            if key in _ACTIVATION_KEYS and item == {"*": None}:
                out[key] = {}  # "no activation compression", as a disabled config writes it
            elif key == "lut_qspec":
                out[key] = _lut_qspec(item, where)
            else:
                out[key] = schema_dict(item, where)
        return out
    return _plain(value)
