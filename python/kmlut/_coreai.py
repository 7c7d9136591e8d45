"""coreai_opt config objects as JSON for the config loader (docs/config.md), which reads
KMeansPalettizerConfig.to_dict() dumps as coreai_opt writes them (training-only keys ignored, the
LUT's quantization spec checked against what kmlut implements). to_dict() is not plain JSON: torch
dtypes and classes are written as their str(), enums as their value. A module config given as None
comes out as spec maps {"*": None}; it goes back to null, as it was written, because for a tied
parameter "disabled" and "matched, not palettized" decide differently (docs/python.md, "torch")."""
import enum


def _is_disabled_dump(value):
    return (isinstance(value, dict) and value.get("op_state_spec") == {"*": None}
            and all(value.get(key) == {"*": None} for key in ("op_input_spec", "op_output_spec"))
            and not value.get("op_type_config") and not value.get("op_name_config")
            and not value.get("module_state_spec"))


def schema_dict(value):
    """A KMeansPalettizerConfig.to_dict() result as plain JSON values."""
    if _is_disabled_dump(value):
        return None
    if isinstance(value, dict):
        return {str(key): schema_dict(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [schema_dict(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, type) or type(value).__module__ == "torch":
        return str(value)  # torch.int8 -> "torch.int8", a class -> "<class '...'>"
    return value
