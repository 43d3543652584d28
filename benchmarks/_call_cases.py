"""
Request overhead (sequential small completions) and concurrency (many streams on one client).

Rule: as in `_stream_cases`, every reply is checked and every chunk counted. The concurrency
cases give every client the same pool: `Limits(max_connections=streams)`, the other limits left
at their defaults (20 kept-alive connections). Keeping all of them alive is no fairer: httpcore
1.0's pool then spends O(idle x total) per request on housekeeping, which punishes whichever
client reuses its connections (see BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from typing import Any

from ._measure import (
    MESSAGES,
    MODEL,
    BenchError,
    Params,
    atimed_calls,
    chunk_headers,
    count_events,
    finish,
    rss_kb,
    timed_calls,
)
from ._traffic import request_body

__all__ = ["CALL_CASES"]

_TIMEOUT = 120.0


def httpx_post_sync(p: Params) -> dict[str, Any]:
    import httpx

    with httpx.Client(timeout=_TIMEOUT) as client:

        def call() -> str | None:
            response = client.post(p.url, json=request_body(stream=False))
            response.raise_for_status()
            content: str | None = response.json()["choices"][0]["message"]["content"]
            return content

        return timed_calls(call, p.requests)


def httpx_post_async(p: Params) -> dict[str, Any]:
    import httpx

    async def main() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=_TIMEOUT) as client:

            async def call() -> str | None:
                response = await client.post(p.url, json=request_body(stream=False))
                response.raise_for_status()
                content: str | None = response.json()["choices"][0]["message"]["content"]
                return content

            return await atimed_calls(call, p.requests)

    return asyncio.run(main())


def openai_requests_sync(p: Params) -> dict[str, Any]:
    from openai import OpenAI

    with OpenAI(base_url=p.base_url, api_key="x", max_retries=0, timeout=_TIMEOUT) as client:

        def call() -> str | None:
            reply = client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
            return reply.choices[0].message.content

        return timed_calls(call, p.requests)


def openai_requests_async(p: Params) -> dict[str, Any]:
    from openai import AsyncOpenAI

    async def main() -> dict[str, Any]:
        client = AsyncOpenAI(base_url=p.base_url, api_key="x", max_retries=0, timeout=_TIMEOUT)

        async def call() -> str | None:
            reply = await client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
            return reply.choices[0].message.content

        try:
            return await atimed_calls(call, p.requests)
        finally:
            await client.close()

    return asyncio.run(main())


def sdk_requests_sync(p: Params) -> dict[str, Any]:
    from amigochat_sdk import Client

    with Client(base_url=p.base_url, max_retries=0, timeout=_TIMEOUT) as client:

        def call() -> str | None:
            reply = client.chat.completions.create(model=MODEL, messages=MESSAGES)
            return reply.choices[0].message.content

        return timed_calls(call, p.requests)


def sdk_requests_async(p: Params) -> dict[str, Any]:
    from amigochat_sdk import AsyncClient

    async def main() -> dict[str, Any]:
        client = AsyncClient(base_url=p.base_url, max_retries=0, timeout=_TIMEOUT)

        async def call() -> str | None:
            reply = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
            return reply.choices[0].message.content

        try:
            return await atimed_calls(call, p.requests)
        finally:
            await client.close()

    return asyncio.run(main())


async def _gather(p: Params, one: Callable[[int], Any]) -> dict[str, Any]:
    """
    Warm up (one concurrent round of short streams opens the pool), then time `streams`
    concurrent streams of `per_stream` chunks each. Then run the same round once more under
    `tracemalloc`, for the memory it holds at its peak (see `_traced_round`).
    """
    await asyncio.gather(*(one(2) for _ in range(p.streams)))
    rss_start = rss_kb()
    cpu, start = time.process_time(), time.perf_counter()
    counts = await asyncio.gather(*(one(p.per_stream) for _ in range(p.streams)))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    _check_counts(p, counts)
    result = finish("chunks/s", sum(counts), seconds, cpu, rss_start)
    result["traced_peak_kb"] = await _traced_round(p, one)
    return result


async def _traced_round(p: Params, one: Callable[[int], Any]) -> float:
    """
    The most memory the round's own allocations hold at once, KiB: `tracemalloc` started just
    before the round counts nothing allocated earlier (imports, the warm pool), and its peak
    is exact where RSS is not (the allocator keeps freed pages, and `VmHWM` may have been set
    before the round). Not timed: tracing slows every allocation.
    """
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        counts = await asyncio.gather(*(one(p.per_stream) for _ in range(p.streams)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _check_counts(p, counts)
    return (peak - base) / 1024


def _check_counts(p: Params, counts: list[int]) -> None:
    bad = [count for count in counts if count != p.per_stream]
    if bad:
        raise BenchError(f"{len(bad)} of {p.streams} streams were short, e.g. {bad[0]} chunks")


def _httpx_concurrent(p: Params, close_at_done: bool) -> dict[str, Any]:
    import httpx

    async def main() -> dict[str, Any]:
        limits = httpx.Limits(max_connections=p.streams)
        async with httpx.AsyncClient(timeout=_TIMEOUT, limits=limits) as client:

            async def one(n: int) -> int:
                events, last = 0, 0
                headers = chunk_headers(n)
                async with client.stream(
                    "POST", p.url, json=request_body(True), headers=headers
                ) as r:
                    r.raise_for_status()
                    async for data in r.aiter_bytes():
                        found, last = count_events(data, last)
                        events += found
                        if close_at_done and events > n:  # `data: [DONE]` is in: stop reading
                            break
                return events - 1

            return await _gather(p, one)

    return asyncio.run(main())


def httpx_concurrent(p: Params) -> dict[str, Any]:
    """Read each body to its end, so its connection goes back to the pool."""
    return _httpx_concurrent(p, close_at_done=False)


def httpx_concurrent_close(p: Params) -> dict[str, Any]:
    """
    Close each response at `data: [DONE]`, before the end of the body, as a client that stops
    reading there does: httpcore then drops the connection instead of pooling it. A reference
    for what the pool's housekeeping costs, not a floor.
    """
    return _httpx_concurrent(p, close_at_done=True)


async def _typed_one(client: Any, n: int) -> int:
    chunks = 0
    stream = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, extra_headers=chunk_headers(n)
    )
    async for chunk in stream:
        chunk.choices[0].delta.content  # noqa: B018 - touching the field is the point
        chunks += 1
    return chunks


def openai_concurrent(p: Params) -> dict[str, Any]:
    # openai 3.x sends through httpx2 (a fork of httpx), so its pool is an httpx2 client.
    import httpx2  # type: ignore[import-not-found,unused-ignore]
    from openai import AsyncOpenAI

    async def main() -> dict[str, Any]:
        limits = httpx2.Limits(max_connections=p.streams)
        http = httpx2.AsyncClient(timeout=_TIMEOUT, limits=limits)
        client = AsyncOpenAI(base_url=p.base_url, api_key="x", max_retries=0, http_client=http)
        try:
            return await _gather(p, lambda n: _typed_one(client, n))
        finally:
            await client.close()
            await http.aclose()

    return asyncio.run(main())


def sdk_concurrent(p: Params) -> dict[str, Any]:
    import httpx

    from amigochat_sdk import AsyncClient

    async def main() -> dict[str, Any]:
        limits = httpx.Limits(max_connections=p.streams)
        async with httpx.AsyncClient(timeout=_TIMEOUT, limits=limits) as http:
            client = AsyncClient(base_url=p.base_url, max_retries=0, http_client=http)
            return await _gather(p, lambda n: _typed_one(client, n))

    return asyncio.run(main())


CALL_CASES: dict[str, Callable[[Params], dict[str, Any]]] = {
    "requests.httpx-post.sync": httpx_post_sync,
    "requests.httpx-post.async": httpx_post_async,
    "requests.openai.sync": openai_requests_sync,
    "requests.openai.async": openai_requests_async,
    "requests.amigochat_sdk.sync": sdk_requests_sync,
    "requests.amigochat_sdk.async": sdk_requests_async,
    "concurrency.httpx-bytes.async": httpx_concurrent,
    "concurrency.httpx-bytes-close.async": httpx_concurrent_close,
    "concurrency.openai.async": openai_concurrent,
    "concurrency.amigochat_sdk.async": sdk_concurrent,
}
