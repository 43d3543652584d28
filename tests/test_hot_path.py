"""
A guard on the streaming hot path that does not depend on the clock: the number of Python
function calls (generator resumptions included) spent per chunk while iterating a `Stream`.

The stream is 1,000 chunks over `httpx.MockTransport`, one event per body piece, so each chunk
costs one pass through the whole pipeline: httpx's `iter_bytes`, the driver, the flow, the SSE
decoder, `model_validate_json`, the accumulator and `Stream.__next__`. Wall time varies from one
machine to the next; this count does not (for fixed httpx and pydantic versions). If a change
has to raise it, re-measure and move `MEASURED` with a word in the commit on why it is worth it.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from types import FrameType
from typing import Any

import httpx

from amigochat_sdk import Client

N = 1_000
#: Calls per chunk measured with httpx 0.28.1 and pydantic 2 (16.03 at first; 10.03 after the
#: single-event fast path, raw reads and one hand-over per read; 9.03 with the append alias).
MEASURED = 9.0
BUDGET = MEASURED * 1.2


def _event(delta: dict[str, str], finish_reason: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-hot",
        "object": "chat.completion.chunk",
        "created": 1_741_569_952,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_hot",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"


PIECES = [
    _event({"role": "assistant", "content": ""}),
    *(_event({"content": f" word{i}"}) for i in range(N - 2)),
    _event({}, "stop"),
    b"data: [DONE]\n\n",
]


def _client() -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, content=iter(PIECES))

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Client(base_url="http://hot-path.invalid/v1", max_retries=0, http_client=http)


def test_python_calls_per_chunk_stay_within_budget() -> None:
    callers: Counter[str] = Counter()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            callers[f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_name}"] += 1

    with _client() as client:
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        received = 0
        sys.setprofile(profile)
        try:
            for chunk in stream:
                chunk.choices[0].delta.content  # noqa: B018 - what a caller touches
                received += 1
        finally:
            sys.setprofile(None)

    assert received == N
    per_chunk = sum(callers.values()) / N
    top = ", ".join(f"{name} {count / N:.2f}" for name, count in callers.most_common(8))
    assert per_chunk <= BUDGET, (
        f"{per_chunk:.2f} Python calls per chunk, over the budget of {BUDGET:.1f} "
        f"(measured {MEASURED}); per chunk: {top}"
    )
    print(f"{per_chunk:.2f} Python calls per chunk (budget {BUDGET:.1f}); {top}")
