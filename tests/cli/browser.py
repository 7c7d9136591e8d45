"""Headless Chromium (Debian's `chromium` package) for the HTML report: the page as the browser
parsed it (--dump-dom) and as it drew it (--screenshot), plus a PNG reader written from the PNG
specification with zlib and numpy, so the test needs no imaging library."""
import os
import shutil
import struct
import subprocess
import tempfile
import zlib

import numpy as np


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(args):
    with tempfile.TemporaryDirectory() as profile:
        command = [chromium(), "--headless", "--disable-gpu", "--hide-scrollbars",
                   "--no-first-run", "--user-data-dir=" + profile, *args]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        return subprocess.run(command, capture_output=True, timeout=120, check=True)


def dump_dom(html_path):
    """The document after Chromium has parsed it, serialized back to HTML."""
    return _run(["--dump-dom", "file://" + os.path.abspath(html_path)]).stdout.decode()


def screenshot(html_path, png_path, width, height):
    _run(["--screenshot=" + os.path.abspath(png_path), f"--window-size={width},{height}",
          "file://" + os.path.abspath(html_path)])


def _unfilter(kind, line, previous, bpp):
    """One scanline of PNG filter type `kind` undone (PNG specification, section 9)."""
    line = np.frombuffer(line, dtype=np.uint8).astype(np.int64)
    if kind == 0:
        return line
    if kind == 1:
        return np.cumsum(line.reshape(-1, bpp), axis=0).ravel() % 256
    if kind == 2:
        return (line + previous) % 256
    out = line.copy()
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        up = previous[i]
        if kind == 3:
            out[i] = (out[i] + (left + up) // 2) % 256
            continue
        corner = previous[i - bpp] if i >= bpp else 0
        p = left + up - corner
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
        out[i] = (out[i] + (left if pa <= pb and pa <= pc else (up if pb <= pc else corner))) % 256
    return out


def read_png(path):
    """An 8-bit RGB or RGBA non-interlaced PNG as a (height, width, channels) uint8 array."""
    with open(path, "rb") as f:
        blob = f.read()
    assert blob[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    position, chunks, header = 8, [], None
    while position < len(blob):
        (length,) = struct.unpack(">I", blob[position:position + 4])
        kind = blob[position + 4:position + 8]
        body = blob[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, f"{path}: unsupported PNG {header}"
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    image = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        start = y * (stride + 1)
        previous = _unfilter(raw[start], raw[start + 1:start + 1 + stride], previous, channels)
        image[y] = previous
    return image.reshape(height, width, channels)


def write_png(path, image):
    """An (height, width, 3) uint8 array as an RGB PNG (filter 0, zlib level 9)."""
    height, width, _ = image.shape
    rows = b"".join(b"\x00" + image[y].tobytes() for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + \
            struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                                 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def trim_bottom(image, margin=24):
    """The image without the blank rows below its last non-blank one (keeping `margin` rows)."""
    blank = np.all(image == image[-1, 0], axis=(1, 2))
    used = np.nonzero(~blank)[0]
    return image[:min(len(image), (used[-1] + 1 + margin) if len(used) else len(image))]
