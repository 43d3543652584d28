"""
The traffic every benchmark replays, built once as bytes.

Rule: standard library only, and deterministic: the server builds its responses from here, and a
client may import it to know what it should have received (chunk count, text length) without
pulling in anything that would skew its import time or memory.

A stream of `n` chunks looks like OpenAI's: the first chunk carries the role, the middle ones a
few words of content (now and then non-ASCII, sent as raw UTF-8), the last one
`finish_reason: "stop"` and an empty delta; then `data: [DONE]`. Each event is framed as one
chunk of HTTP/1.1 chunked transfer encoding, so one event is one network write.
"""

from __future__ import annotations

import json
from functools import lru_cache

__all__ = [
    "CHUNKS_HEADER",
    "DEFAULT_CHUNKS",
    "MODEL",
    "completion_body",
    "content_chars",
    "request_body",
    "stream_pieces",
]

#: The request header that sets a stream's chunk count.
CHUNKS_HEADER = "x-bench-chunks"
DEFAULT_CHUNKS = 20_000
MODEL = "gpt-4o-mini"

_ID = "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"
_CREATED = 1_741_569_952
_SERVED_MODEL = "gpt-4o-mini-2024-07-18"
_FINGERPRINT = "fp_06737a9306"
_WORDS = (
    "The quick brown fox jumps over the lazy dog while streaming tokens arrive one small "
    "piece at a time, café naïve résumé 日本語 and emoji 🙂 included, because real answers "
    "are rarely plain ASCII from start to finish."
).split()


def _delta_text(i: int) -> str:
    """One to four words, cycling through `_WORDS`: the content of middle chunk `i`."""
    count = 1 + i % 4
    start = (i * 3) % len(_WORDS)
    return "".join(" " + _WORDS[(start + k) % len(_WORDS)] for k in range(count))


def _chunk(delta: dict[str, str], finish_reason: str | None) -> bytes:
    chunk = {
        "id": _ID,
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": _SERVED_MODEL,
        "system_fingerprint": _FINGERPRINT,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    return json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode()


def _frame(event: bytes) -> bytes:
    """One chunk of chunked transfer encoding holding one whole SSE event."""
    return b"%x\r\n%b\r\n" % (len(event), event)


@lru_cache(maxsize=8)
def stream_pieces(n: int) -> tuple[bytes, ...]:
    """
    The body of a stream of `n` chunks (`n >= 2`) as network writes: one framed event each,
    `data: [DONE]`, then the chunked-encoding terminator.
    """
    if n < 2:
        raise ValueError("a stream needs at least 2 chunks (role, then finish_reason)")
    events = [_chunk({"role": "assistant", "content": ""}, None)]
    events += [_chunk({"content": _delta_text(i)}, None) for i in range(n - 2)]
    events.append(_chunk({}, "stop"))
    pieces = [_frame(b"data: " + event + b"\n\n") for event in events]
    pieces.append(_frame(b"data: [DONE]\n\n"))
    pieces.append(b"0\r\n\r\n")
    return tuple(pieces)


def content_chars(n: int) -> int:
    """The length of the whole text of a stream of `n` chunks, in characters."""
    return sum(len(_delta_text(i)) for i in range(n - 2))


@lru_cache(maxsize=1)
def completion_body() -> bytes:
    """A small non-stream `chat.completion`."""
    completion = {
        "id": _ID,
        "object": "chat.completion",
        "created": _CREATED,
        "model": _SERVED_MODEL,
        "system_fingerprint": _FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello! How can I help you today?",
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
    }
    return json.dumps(completion, separators=(",", ":")).encode()


def request_body(stream: bool) -> dict[str, object]:
    """The body raw clients send; the SDK and openai build theirs from the same fields."""
    return {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": stream}
