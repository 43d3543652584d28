"""
Deterministic PNG images for the reference server, written with `zlib` and `struct` only.

Rule: the same (prompt, index, size) always gives the same bytes and the same file id.

An image is filled with a colour taken from a hash of the prompt and index, shaded from top to
bottom so that it is not a single flat block; sizes are clamped to 1..256 pixels a side.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib

__all__ = ["DEFAULT_SIZE", "MAX_SIDE", "ImageKey", "image_id", "parse_size", "render_png"]

DEFAULT_SIZE = (64, 64)
MAX_SIDE = 256
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SIZE = re.compile(r"^([0-9]+)x([0-9]+)$")

#: What an image is made from: (prompt, index, width, height).
ImageKey = tuple[str, int, int, int]


def parse_size(size: str | None) -> tuple[int, int]:
    """
    `"WIDTHxHEIGHT"` clamped to 1..256 a side; the default (64x64) when absent or malformed.
    """
    match = _SIZE.match(size or "")
    if match is None:
        return DEFAULT_SIZE
    width, height = (min(max(int(side), 1), MAX_SIDE) for side in match.groups())
    return width, height


def _digest(key: ImageKey) -> bytes:
    prompt, index, width, height = key
    return hashlib.sha256(f"{width}x{height}:{index}:{prompt}".encode()).digest()


def image_id(key: ImageKey) -> str:
    """
    The file id of an image: 20 hex digits from its key.
    """
    return _digest(key).hex()[:20]


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def render_png(key: ImageKey) -> bytes:
    """
    The image for `key` as an 8-bit RGB PNG.
    """
    _, _, width, height = key
    red, green, blue = _digest(key)[:3]
    rows = []
    for y in range(height):
        shade = 0.6 + 0.4 * (y / max(height - 1, 1))
        pixel = bytes((int(red * shade), int(green * shade), int(blue * shade)))
        rows.append(b"\x00" + pixel * width)  # filter type 0: the row as it is
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
