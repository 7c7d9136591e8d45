"""Progress of palettize_checkpoint: a text bar on stderr, or a user callable fed events."""
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    """One tensor finished: counts and input bytes done so far, and its name."""
    tensors_done: int
    tensors_total: int
    bytes_done: int
    bytes_total: int
    current: str


class ProgressBar:
    """A tqdm-style bar on a stream: percent of input bytes, tensors, throughput, the last tensor."""

    def __init__(self, stream=None, width=30):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.start = time.monotonic()

    def __call__(self, event):
        fraction = event.bytes_done / event.bytes_total if event.bytes_total else 1.0
        filled = int(round(fraction * self.width))
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = event.bytes_done / elapsed / 2**20
        line = (f"\r{fraction * 100:5.1f}%|{'#' * filled}{' ' * (self.width - filled)}| "
                f"{event.tensors_done}/{event.tensors_total} tensors "
                f"[{elapsed:.1f}s, {rate:.1f} MiB/s] {event.current[-40:]}")
        self.stream.write(line.ljust(120))
        if event.tensors_done == event.tensors_total:
            self.stream.write("\n")
        self.stream.flush()


def progress_callback(progress):
    """The native layer's callback for `progress`: None/False (none), True (a bar on stderr) or a
    callable receiving ProgressEvent objects."""
    if progress is None or progress is False:
        return None
    sink = ProgressBar() if progress is True else progress
    if not callable(sink):
        raise TypeError("progress: expected None, True or a callable")

    def on_event(tensors_done, tensors_total, bytes_done, bytes_total, current):
        sink(ProgressEvent(tensors_done, tensors_total, bytes_done, bytes_total, current))

    return on_event
