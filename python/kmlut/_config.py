"""The forms a config may take in the Python API, turned into what the native layer reads."""
import json
import os

from ._coreai import schema_dict


def config_arguments(config, preset=None):
    """(path, json_text, preset) for the native layer from `config` -- a path to a JSON/YAML file,
    a dict in the coreai_opt schema, or an object with to_dict() such as coreai_opt's
    KMeansPalettizerConfig -- or from a preset name ("w4", "w6", "w8")."""
    if config is not None and preset is not None:
        raise ValueError("give config or preset, not both")
    if config is None:
        return "", "", preset or ""
    if isinstance(config, (str, os.PathLike)):
        return os.fspath(config), "", ""
    if hasattr(config, "to_dict"):
        config = schema_dict(config.to_dict())
    if isinstance(config, dict):
        return "", json.dumps(config), ""
    raise TypeError("config: expected a path, a dict or an object with to_dict(), got "
                    f"{type(config).__name__}")


def optional_path(path):
    return "" if path is None else os.fspath(path)
