"""
Small tools for the reference-server tests: request bodies, a strict SSE splitter, raw HTTP.
"""

from __future__ import annotations

import re
import socket
from typing import Any

_LINE = re.compile(rb"\r\n|\r|\n")


def chat(text: str = "Hello there", **fields: Any) -> dict[str, Any]:
    """
    A chat request body with one user message.
    """
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **fields}


def split_events(raw: bytes) -> tuple[list[dict[str, bytes]], bytes]:
    """
    The complete events of an event stream (field -> value, `data` lines joined with LF), and
    the bytes of an unterminated last event. Lines may end in CRLF, CR or LF.
    """
    events: list[dict[str, bytes]] = []
    current: dict[str, bytes] = {}
    lines = _LINE.split(raw)
    rest = lines.pop()  # after the last line break: an unfinished line
    for line in lines:
        if not line:
            if current:
                events.append(current)
            current = {}
            continue
        name, _, value = line.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        current[name.decode()] = (
            current[name.decode()] + b"\n" + value if name.decode() in current else value
        )
    pending = rest if not current else b"<fields>" + rest
    return events, pending


def data_events(raw: bytes) -> list[bytes]:
    """
    The `data` of every complete event that has no `event:` field.
    """
    events, _ = split_events(raw)
    return [event["data"] for event in events if "event" not in event and "data" in event]


def raw_exchange(origin: str, request: bytes, timeout: float = 5.0) -> bytes:
    """
    Send raw HTTP bytes to `origin` (`http://host:port`) and read until the server closes.
    """
    host, port = origin.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def post_bytes(path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """
    A raw `POST` with `connection: close`, so the server ends the exchange by closing.
    """
    lines = [f"POST {path} HTTP/1.1", "host: 127.0.0.1", "content-type: application/json"]
    lines += [f"content-length: {len(body)}", "connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def dechunk(payload: bytes) -> tuple[list[int], bytes, bool]:
    """
    Parse a chunked body: the size of every chunk, the body, and whether the last-chunk arrived.
    """
    sizes: list[int] = []
    body, position = b"", 0
    while True:
        end = payload.find(b"\r\n", position)
        if end < 0:
            return sizes, body, False
        size = int(payload[position:end], 16)
        if size == 0:
            return sizes, body, True
        sizes.append(size)
        body += payload[end + 2 : end + 2 + size]
        position = end + 2 + size + 2
