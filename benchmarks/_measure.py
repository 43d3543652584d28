"""
What every client case shares: its parameters, the timed loops, and the correctness checks.

Rule: standard library only at import time. A case imports its own client library inside its
function, so a child process holds only what its case needs (its memory and start-up then
belong to that client alone).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ._traffic import CHUNKS_HEADER, MODEL, content_chars

__all__ = [
    "COMPLETION_TEXT",
    "MESSAGES",
    "MODEL",
    "STREAM_REPEATS",
    "BenchError",
    "Params",
    "atimed_calls",
    "atimed_stream",
    "chunk_headers",
    "count_events",
    "finish",
    "rss_kb",
    "timed_calls",
    "timed_stream",
]

MESSAGES = [{"role": "user", "content": "hi"}]
COMPLETION_TEXT = "Hello! How can I help you today?"
_WARMUP_CHUNKS = 200
#: Streams timed back to back in one sample, of which the sample keeps the fastest (wall time
#: and CPU time each): a stream of 20,000 chunks lasts a quarter of a second, and other work on
#: a shared machine only ever adds to it, so one burst of it would decide a whole round.
STREAM_REPEATS = 3
_INF = float("inf")
_WARMUP_CALLS = 10


class BenchError(AssertionError):
    """A client did not receive what the server sent: the run is invalid, not slow."""


@dataclass(frozen=True)
class Params:
    port: int
    chunks: int = 20_000
    requests: int = 500
    streams: int = 200
    per_stream: int = 200

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"


def chunk_headers(n: int) -> dict[str, str]:
    return {CHUNKS_HEADER: str(n)}


def rss_kb(field: str = "VmRSS") -> int:
    """The resident set size now (`VmRSS`) or its peak so far (`VmHWM`), in KiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:  # not Linux: the peak is all getrusage offers (KiB on Linux, bytes on macOS)
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if field == "VmHWM" else 0


def count_events(data: bytes, last: int) -> tuple[int, int]:
    """
    Count the `\\n\\n` event ends in one read, including one split across the previous read
    (`last` is that read's final byte). Returns the count and this read's final byte.
    """
    events = data.count(b"\n\n")
    if last == 10 and data[:1] == b"\n":
        events += 1
    return events, data[-1] if data else last


def _check_stream(n: int, received: tuple[int, int | None]) -> None:
    chunks, chars = received
    if chunks != n:
        raise BenchError(f"received {chunks} chunks, expected {n}")
    if chars is not None and chars != content_chars(n):
        raise BenchError(f"received {chars} characters of text, expected {content_chars(n)}")


def finish(unit: str, count: int, seconds: float, cpu: float, rss_start: int) -> dict[str, Any]:
    return {
        "value": count / seconds,
        "unit": unit,
        "count": count,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rss_start_kb": rss_start,
        "rss_peak_kb": rss_kb("VmHWM"),
    }


def timed_stream(
    run: Callable[[int], tuple[int, int | None]], n: int, unit: str = "chunks/s"
) -> dict[str, Any]:
    """
    Warm up with a short stream (connection, caches), then time `STREAM_REPEATS` streams of `n`
    chunks, keeping the fastest. `run(n)` returns the chunks it received and the characters of
    text (`None`: not parsed).
    """
    _check_stream(min(n, _WARMUP_CHUNKS), run(min(n, _WARMUP_CHUNKS)))
    rss_start = rss_kb()
    best, best_cpu = _INF, _INF
    for _ in range(STREAM_REPEATS):
        cpu, start = time.process_time(), time.perf_counter()
        received = run(n)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        _check_stream(n, received)
        best, best_cpu = min(best, seconds), min(best_cpu, cpu)
    return finish(unit, n, best, best_cpu, rss_start)


async def atimed_stream(
    run: Callable[[int], Awaitable[tuple[int, int | None]]], n: int
) -> dict[str, Any]:
    """`timed_stream` for an async `run`."""
    _check_stream(min(n, _WARMUP_CHUNKS), await run(min(n, _WARMUP_CHUNKS)))
    rss_start = rss_kb()
    best, best_cpu = _INF, _INF
    for _ in range(STREAM_REPEATS):
        cpu, start = time.process_time(), time.perf_counter()
        received = await run(n)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        _check_stream(n, received)
        best, best_cpu = min(best, seconds), min(best_cpu, cpu)
    return finish("chunks/s", n, best, best_cpu, rss_start)


def _check_reply(content: str | None) -> None:
    if content != COMPLETION_TEXT:
        raise BenchError(f"unexpected reply {content!r}")


def timed_calls(call: Callable[[], str | None], n: int) -> dict[str, Any]:
    """Warm up, then time `n` sequential calls; each must return the completion's text."""
    for _ in range(_WARMUP_CALLS):
        _check_reply(call())
    rss_start = rss_kb()
    cpu, start = time.process_time(), time.perf_counter()
    replies = [call() for _ in range(n)]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    for reply in replies:
        _check_reply(reply)
    return finish("requests/s", n, seconds, cpu, rss_start)


async def atimed_calls(call: Callable[[], Awaitable[str | None]], n: int) -> dict[str, Any]:
    """`timed_calls` for an async `call`."""
    for _ in range(_WARMUP_CALLS):
        _check_reply(await call())
    rss_start = rss_kb()
    cpu, start = time.process_time(), time.perf_counter()
    replies = [await call() for _ in range(n)]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    for reply in replies:
        _check_reply(reply)
    return finish("requests/s", n, seconds, cpu, rss_start)
