"""Whole checkpoints: plan, palettize, decode and verify, as the CLI does them."""
import json
import os

from . import _kmlut
from ._config import config_arguments, optional_path
from ._progress import progress_callback


def plan(input, config=None, *, preset=None, manifest=None):
    """The jobs of `kmlut plan --json INPUT`: one dict per tensor, in checkpoint order."""
    path, text, preset_name = config_arguments(config, preset)
    document = _kmlut.plan(os.fspath(input), path, text, preset_name, optional_path(manifest))
    return json.loads(document)["jobs"]


def palettize_checkpoint(input, output, *, config=None, preset=None, manifest=None,
                         backend="auto", threads=None, memory_budget=None, seed=0, strict=False,
                         force=False, sensitivities=None, progress=None):
    """`kmlut palettize INPUT OUTPUT`: writes exactly what the CLI writes and returns its --report
    document as a dict. progress=True shows a bar on stderr; a callable receives ProgressEvent
    objects (from a worker thread, one per finished tensor)."""
    path, text, preset_name = config_arguments(config, preset)
    document = _kmlut.palettize_checkpoint(
        os.fspath(input), os.fspath(output), path, text, preset_name, optional_path(manifest),
        backend, threads or 0, memory_budget or 0, seed, strict, force,
        optional_path(sensitivities), progress_callback(progress))
    return json.loads(document)


def decode(palettized, output, *, force=False):
    """`kmlut decode`: writes the dense safetensors; returns the files written."""
    return _kmlut.decode(os.fspath(palettized), os.fspath(output), force)


def verify(original, palettized):
    """`kmlut verify --json`: per-tensor errors and a summary, as a dict."""
    return json.loads(_kmlut.verify(os.fspath(original), os.fspath(palettized)))
