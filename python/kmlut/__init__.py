"""kmlut: k-means palettization of neural-network checkpoints, with the configuration language and
the exact numbers of coreai_opt 0.3.0 (docs/python.md).

    import kmlut
    result = kmlut.palettize(weight, {"n_bits": 4, "granularity": {
        "type": "per_grouped_channel", "axis": 0, "group_size": 16}})
    report = kmlut.palettize_checkpoint("model.safetensors", "model.kmlut.safetensors",
                                        preset="w4", progress=True)
"""
from ._kmlut import InvalidFileError, __version__
from ._checkpoint import decode, palettize_checkpoint, plan, verify
from ._tensor import PalettizeResult, palettize

__all__ = ["__version__", "InvalidFileError", "PalettizeResult", "palettize", "plan",
           "palettize_checkpoint", "decode", "verify"]
