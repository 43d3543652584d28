"""
Content decoding (`Content-Encoding: gzip` or `deflate`) with bounded output.

Rule: bytes in, pieces out, no I/O. A piece is never larger than `PIECE` bytes however much the
input inflates, so every limit after it (`max_event_size`, the body limit) counts decoded bytes
and a compression bomb costs time, never memory. httpx's own decoders inflate a whole network
read at once (64 KiB can become 64 MiB), which is why the drivers read raw bytes and decode here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx

__all__ = ["PIECE", "ContentDecoder", "content_decoder"]

#: The most bytes one decoded piece holds.
PIECE = 65536

_GZIP = zlib.MAX_WBITS | 16
_CODINGS = {"gzip": _GZIP, "x-gzip": _GZIP, "deflate": zlib.MAX_WBITS}


class ContentDecoder:
    """
    Inflates one body. `decode(data)` yields its pieces; `flush()` returns the rest at the end.
    A corrupt body raises `httpx.DecodingError`, as httpx's decoders do.
    """

    def __init__(self, wbits: int, request: httpx.Request | None = None) -> None:
        self._wbits = wbits
        self._inflate = zlib.decompressobj(wbits)
        self._started = False
        self._request = request

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of one read, at most `PIECE` bytes each."""
        while data:
            try:
                out = self._inflate.decompress(data, PIECE)
            except zlib.error as exc:
                if self._started or self._wbits != zlib.MAX_WBITS:
                    raise httpx.DecodingError(str(exc), request=self._request) from None
                # `deflate` is sent with its zlib header by the standard, without it by some
                # servers: try raw deflate, as httpx does.
                self._wbits = -zlib.MAX_WBITS
                self._inflate = zlib.decompressobj(self._wbits)
                continue
            self._started = True
            data = self._inflate.unconsumed_tail
            if out:
                yield out

    def flush(self) -> bytes:
        """What is left at the end of the body."""
        try:
            return self._inflate.flush()
        except zlib.error as exc:  # pragma: no cover - flush after decompress rarely fails
            raise httpx.DecodingError(str(exc), request=self._request) from None


def content_decoder(response: httpx.Response) -> ContentDecoder | None:
    """
    The decoder for `response`'s body when it is gzip or deflate; `None` otherwise (no
    encoding, or one left to httpx, such as `br` when brotli is installed).
    """
    coding = response.headers.get("content-encoding", "").strip().lower()
    wbits = _CODINGS.get(coding)
    return None if wbits is None else ContentDecoder(wbits, response.request)
