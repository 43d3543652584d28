"""
Streaming throughput: one stream of `chunks` chunks, per client, sync and async.

Rule: every case must receive every chunk (checked by `_measure`), and the typed clients must
touch `chunk.choices[0].delta.content`, so each one does the work a real caller would. Raw
readers count events by their `\\n\\n` ends; parsing readers also total the text's length.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any

from ._measure import (
    MESSAGES,
    MODEL,
    Params,
    atimed_stream,
    chunk_headers,
    count_events,
    timed_stream,
)
from ._traffic import request_body

__all__ = ["STREAM_CASES"]

_TIMEOUT = 120.0


def socket_reader(p: Params) -> dict[str, Any]:
    """
    No HTTP client at all: send the request on a socket and count `\\n\\n` in raw reads until
    the chunked-encoding terminator. This is the server's own top speed, not a client.
    """
    body = json.dumps(request_body(stream=True)).encode()
    sock = socket.create_connection(("127.0.0.1", p.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run(n: int) -> tuple[int, None]:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            b"content-type: application/json\r\ncontent-length: %d\r\nx-bench-chunks: %d\r\n"
            b"\r\n%b" % (len(body), n, body)
        )
        events, last, tail = 0, 0, b""
        while tail != b"0\r\n\r\n":  # only the terminator ends like this
            data = sock.recv(1 << 20)
            if not data:
                break
            found, last = count_events(data, last)
            events += found
            tail = (tail + data)[-5:]
        return events - 1, None  # the last event is `data: [DONE]`

    try:
        return timed_stream(run, p.chunks)
    finally:
        sock.close()


def httpx_bytes_sync(p: Params) -> dict[str, Any]:
    import httpx

    with httpx.Client(timeout=_TIMEOUT) as client:

        def run(n: int) -> tuple[int, None]:
            events, last = 0, 0
            with client.stream(
                "POST", p.url, json=request_body(True), headers=chunk_headers(n)
            ) as r:
                r.raise_for_status()
                for data in r.iter_bytes():
                    found, last = count_events(data, last)
                    events += found
            return events - 1, None

        return timed_stream(run, p.chunks)


def httpx_bytes_async(p: Params) -> dict[str, Any]:
    import httpx

    async def main() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=_TIMEOUT) as client:

            async def run(n: int) -> tuple[int, None]:
                events, last = 0, 0
                headers = chunk_headers(n)
                async with client.stream(
                    "POST", p.url, json=request_body(True), headers=headers
                ) as r:
                    r.raise_for_status()
                    async for data in r.aiter_bytes():
                        found, last = count_events(data, last)
                        events += found
                return events - 1, None

            return await atimed_stream(run, p.chunks)

    return asyncio.run(main())


def _content(line: str) -> tuple[int, int] | None:
    """(1, text length) for one `data:` line of a chunk, `None` for `[DONE]` and other lines."""
    if not line.startswith("data: ") or line == "data: [DONE]":
        return None
    content = json.loads(line[6:])["choices"][0]["delta"].get("content")
    return 1, len(content) if content else 0


def httpx_lines_sync(p: Params) -> dict[str, Any]:
    import httpx

    with httpx.Client(timeout=_TIMEOUT) as client:

        def run(n: int) -> tuple[int, int]:
            chunks = chars = 0
            with client.stream(
                "POST", p.url, json=request_body(True), headers=chunk_headers(n)
            ) as r:
                r.raise_for_status()
                for line in r.iter_lines():
                    found = _content(line)
                    if found:
                        chunks, chars = chunks + 1, chars + found[1]
            return chunks, chars

        return timed_stream(run, p.chunks)


def httpx_lines_async(p: Params) -> dict[str, Any]:
    import httpx

    async def main() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=_TIMEOUT) as client:

            async def run(n: int) -> tuple[int, int]:
                chunks = chars = 0
                headers = chunk_headers(n)
                async with client.stream(
                    "POST", p.url, json=request_body(True), headers=headers
                ) as r:
                    r.raise_for_status()
                    async for line in r.aiter_lines():
                        found = _content(line)
                        if found:
                            chunks, chars = chunks + 1, chars + found[1]
                return chunks, chars

            return await atimed_stream(run, p.chunks)

    return asyncio.run(main())


def _sse_content(data: str) -> int | None:
    if data == "[DONE]":
        return None
    content = json.loads(data)["choices"][0]["delta"].get("content")
    return len(content) if content else 0


def httpx_sse_sync(p: Params) -> dict[str, Any]:
    import httpx
    from httpx_sse import connect_sse

    with httpx.Client(timeout=_TIMEOUT) as client:

        def run(n: int) -> tuple[int, int]:
            chunks = chars = 0
            body, headers = request_body(True), chunk_headers(n)
            with connect_sse(client, "POST", p.url, json=body, headers=headers) as source:
                source.response.raise_for_status()
                for sse in source.iter_sse():
                    found = _sse_content(sse.data)
                    if found is not None:
                        chunks, chars = chunks + 1, chars + found
            return chunks, chars

        return timed_stream(run, p.chunks)


def httpx_sse_async(p: Params) -> dict[str, Any]:
    import httpx
    from httpx_sse import aconnect_sse

    async def main() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=_TIMEOUT) as client:

            async def run(n: int) -> tuple[int, int]:
                chunks = chars = 0
                body, headers = request_body(True), chunk_headers(n)
                async with aconnect_sse(client, "POST", p.url, json=body, headers=headers) as src:
                    src.response.raise_for_status()
                    async for sse in src.aiter_sse():
                        found = _sse_content(sse.data)
                        if found is not None:
                            chunks, chars = chunks + 1, chars + found
                return chunks, chars

            return await atimed_stream(run, p.chunks)

    return asyncio.run(main())


def _typed_sync(client: Any, n: int) -> tuple[int, int]:
    """Iterate a typed stream (openai or the SDK: the same surface), touching each delta."""
    chunks = chars = 0
    stream = client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, extra_headers=chunk_headers(n)
    )
    for chunk in stream:
        content = chunk.choices[0].delta.content
        chunks += 1
        if content:
            chars += len(content)
    return chunks, chars


async def _typed_async(client: Any, n: int) -> tuple[int, int]:
    chunks = chars = 0
    stream = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, extra_headers=chunk_headers(n)
    )
    async for chunk in stream:
        content = chunk.choices[0].delta.content
        chunks += 1
        if content:
            chars += len(content)
    return chunks, chars


def openai_sync(p: Params) -> dict[str, Any]:
    from openai import OpenAI

    with OpenAI(base_url=p.base_url, api_key="x", max_retries=0, timeout=_TIMEOUT) as client:
        return timed_stream(lambda n: _typed_sync(client, n), p.chunks)


def openai_async(p: Params) -> dict[str, Any]:
    from openai import AsyncOpenAI

    async def main() -> dict[str, Any]:
        client = AsyncOpenAI(base_url=p.base_url, api_key="x", max_retries=0, timeout=_TIMEOUT)
        try:
            return await atimed_stream(lambda n: _typed_async(client, n), p.chunks)
        finally:
            await client.close()

    return asyncio.run(main())


def sdk_sync(p: Params) -> dict[str, Any]:
    from amigochat_sdk import Client

    with Client(base_url=p.base_url, max_retries=0, timeout=_TIMEOUT) as client:
        return timed_stream(lambda n: _typed_sync(client, n), p.chunks)


def sdk_async(p: Params) -> dict[str, Any]:
    from amigochat_sdk import AsyncClient

    async def main() -> dict[str, Any]:
        client = AsyncClient(base_url=p.base_url, max_retries=0, timeout=_TIMEOUT)
        try:
            return await atimed_stream(lambda n: _typed_async(client, n), p.chunks)
        finally:
            await client.close()

    return asyncio.run(main())


STREAM_CASES: dict[str, Callable[[Params], dict[str, Any]]] = {
    "stream.socket.sync": socket_reader,
    "stream.httpx-bytes.sync": httpx_bytes_sync,
    "stream.httpx-bytes.async": httpx_bytes_async,
    "stream.httpx-lines.sync": httpx_lines_sync,
    "stream.httpx-lines.async": httpx_lines_async,
    "stream.httpx-sse.sync": httpx_sse_sync,
    "stream.httpx-sse.async": httpx_sse_async,
    "stream.openai.sync": openai_sync,
    "stream.openai.async": openai_async,
    "stream.amigochat_sdk.sync": sdk_sync,
    "stream.amigochat_sdk.async": sdk_async,
}
