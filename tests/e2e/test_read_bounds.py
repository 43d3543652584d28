"""
Every read is bounded, against a hostile server on a loopback socket, for `Client` and
`AsyncClient` (asyncio and trio): trickled bytes against the deadline and the timeouts, a body
that goes on after `[DONE]`, compression bombs and corrupt gzip, a redirect loop. Each test
bounds the call's time generously above its limit and asserts the class of what was raised.
"""

from __future__ import annotations

import json
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from amigochat_sdk import (
    APIConnectionError,
    APIDecodeError,
    APITimeoutError,
    StreamDecodeError,
    StreamInterruptedError,
)
from tests.e2e.helpers import Api
from tests.e2e.hostile import Action, HostileServer, http_response
from tests.flavors import HTTPX_LEAVES_ITS_GENERATORS_OPEN

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

DONE = b"data: [DONE]\n\n"
SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
)
END = b"0\r\n\r\n"


def chunk_event(content: str, finish: str | None = None) -> bytes:
    data: dict[str, Any] = {
        "id": "chatcmpl-h",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(data).encode() + b"\n\n"


COMPLETE = chunk_event("Hi") + chunk_event("", "stop") + DONE


def piece(data: bytes) -> bytes:
    """One piece of a chunked body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def every(seconds: float, data: bytes, times: int) -> list[Action]:
    """`data` every `seconds`, `times` times: a bounded trickle."""
    return [action for _ in range(times) for action in (seconds, data)]


def gzipped(head: bytes, block: bytes = b"", repeat: int = 0, tail: bytes = b"") -> bytes:
    """`head + block * repeat + tail` in gzip, without ever holding it whole (a cheap bomb)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    out = [deflate.compress(head)]
    out += [deflate.compress(block) for _ in range(repeat)]
    out += [deflate.compress(tail), deflate.flush()]
    return b"".join(out)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """The block takes less than `seconds` (a generous bound, never a measurement)."""
    start = time.monotonic()
    yield
    took = time.monotonic() - start
    assert took < seconds, f"took {took:.1f}s, bound {seconds}s"


@contextmanager
def peak_below(megabytes: int) -> Iterator[None]:
    """Python allocations at their peak stay under `megabytes` more than at the start."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        yield
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak < megabytes * 2**20, f"peak {peak / 2**20:.0f} MiB, bound {megabytes} MiB"


def api_for(server: HostileServer, flavor: str, **options: Any) -> Api:
    options.setdefault("max_retries", 0)
    return Api(flavor, base_url=server.url, **options)


def trickle(before: bytes = b"", data: bytes = b":", seconds: float = 0.2) -> list[Action]:
    """An event stream's head, `before`, then `data` every `seconds`, for up to 10 s."""
    return [SSE_HEAD, *([piece(before)] if before else []), *every(seconds, piece(data), 50)]


# ---------------------------------------------------------------- time


# The trickles here and below: the time may run out in a read (cancelled, which finishes httpx's
# generators) or just after one, when the driver closes the body between reads: either, by luck.
@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_deadline_bounds_a_stream_that_trickles_before_its_first_event(flavor: str) -> None:
    with HostileServer(lambda _: trickle()) as server:
        api = api_for(server, flavor, deadline=1.0)
        with within(4.0), pytest.raises(APITimeoutError, match="deadline"):
            await api.stream()
        await api.close()


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_deadline_bounds_a_json_body_that_trickles(flavor: str) -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
    with HostileServer(lambda _: [head, *every(0.2, b" ", 50)]) as server:
        api = api_for(server, flavor, deadline=1.0)
        with within(4.0), pytest.raises(APITimeoutError, match="deadline"):
            await api.create()
        await api.close()


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_deadline_bounds_a_stream_false_answer_read_as_events(flavor: str) -> None:
    with HostileServer(lambda _: trickle(chunk_event("Hi"))) as server:
        api = api_for(server, flavor, deadline=1.0)
        with within(4.0), pytest.raises(APITimeoutError, match="deadline"):
            await api.create()
        await api.close()


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_pings_do_not_keep_a_stalled_stream_alive(flavor: str) -> None:
    with HostileServer(lambda _: trickle(chunk_event("Hi"), b": ping\n\n")) as server:
        api = api_for(server, flavor, stream_idle_timeout=1.0)
        stream = await api.stream()
        with within(4.0), pytest.raises(StreamInterruptedError, match="stream_idle") as info:
            await stream.read()
        assert info.value.text == "Hi"
        await api.close()


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_pings_before_the_first_chunk_time_out_and_are_retried(flavor: str) -> None:
    script = [SSE_HEAD, *every(0.1, piece(b": ping\n\n"), 12)]  # 1.2 s of pings, then the end
    with HostileServer(lambda _: script, connections=2) as server:
        api = api_for(server, flavor, stream_idle_timeout=0.6, max_retries=1)
        with within(6.0), pytest.raises(APITimeoutError, match="stream_idle_timeout"):
            await api.stream()
        assert len(server.requests) == 2
        await api.close()


async def test_a_silent_server_is_cut_by_first_chunk_timeout(flavor: str) -> None:
    with HostileServer(lambda _: [SSE_HEAD, 10.0]) as server:
        api = api_for(server, flavor, first_chunk_timeout=0.5, timeout=30.0)
        with within(3.0), pytest.raises(APITimeoutError, match="first_chunk_timeout"):
            await api.stream()
        await api.close()


async def test_first_chunk_timeout_does_not_bound_later_gaps(flavor: str) -> None:
    script: list[Action] = [
        SSE_HEAD,
        piece(chunk_event("Hi")),
        1.5,
        piece(chunk_event("!", "stop") + DONE),
        END,
    ]
    with HostileServer(lambda _: script) as server:
        api = api_for(server, flavor, first_chunk_timeout=0.5, timeout=10.0)
        stream = await api.stream()
        assert await stream.read() == "Hi!"
        await api.close()


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
@pytest.mark.parametrize(
    "after", [[10.0], every(0.05, piece(b": x\n"), 200)], ids=["hang", "trickle"]
)
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "create"])
async def test_the_answer_is_handed_over_at_done(
    flavor: str, after: list[Action], stream: bool
) -> None:
    with HostileServer(lambda _: [SSE_HEAD, piece(COMPLETE), *after]) as server:
        api = api_for(server, flavor, timeout=30.0)
        with within(2.5):
            if stream:
                assert await (await api.stream()).read() == "Hi"
            else:
                assert (await api.create()).choices[0].message.content == "Hi"
        await api.close()


# ---------------------------------------------------------------- memory and decoding


def gzip_reply(body: bytes, content_type: str) -> list[Action]:
    return [http_response(200, body, content_type, [("content-encoding", "gzip")])]


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {  # 256 MiB of one event's data; 256 MiB of spaces in a JSON body
        "event": gzipped(b"data: ", b"x" * 2**20, 256),
        "json": gzipped(b"{", b" " * 2**20, 256),
    }


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_a_gzip_bomb_in_an_event_stream_stays_within_max_event_size(
    flavor: str, bombs: dict[str, bytes]
) -> None:
    with HostileServer(lambda _: gzip_reply(bombs["event"], "text/event-stream")) as server:
        api = api_for(server, flavor)
        with within(20.0), peak_below(80), pytest.raises(StreamDecodeError, match="max_event"):
            await api.stream()
        await api.close()


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_a_gzip_bomb_in_a_json_body_stays_within_the_body_limit(
    flavor: str, bombs: dict[str, bytes]
) -> None:
    with HostileServer(lambda _: gzip_reply(bombs["json"], "application/json")) as server:
        api = api_for(server, flavor)
        with within(20.0), peak_below(160), pytest.raises(APIDecodeError, match="larger than"):
            await api.create()
        await api.close()


async def test_blank_lines_inflating_from_gzip_do_not_grow_memory(flavor: str) -> None:
    body = gzipped(b"", b"\n" * 2**20, 8, COMPLETE)  # 8 MiB of blank lines, then the answer
    with HostileServer(lambda _: gzip_reply(body, "text/event-stream")) as server:
        api = api_for(server, flavor)
        with within(20.0), peak_below(16):
            assert await (await api.stream()).read() == "Hi"
        await api.close()


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_corrupt_gzip_before_the_stream_is_a_decode_error(flavor: str) -> None:
    body = gzipped(COMPLETE)
    corrupt = body[:10] + b"garbage!" + body[18:]
    with HostileServer(lambda _: gzip_reply(corrupt, "text/event-stream")) as server:
        api = api_for(server, flavor)
        with within(5.0), pytest.raises(APIDecodeError, match="cannot be decoded"):
            await api.stream()
        await api.close()


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_corrupt_gzip_mid_stream_keeps_what_arrived(flavor: str) -> None:
    deflate = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    first = deflate.compress(chunk_event("Hi")) + deflate.flush(zlib.Z_SYNC_FLUSH)
    head = SSE_HEAD.replace(b"\r\n\r\n", b"\r\ncontent-encoding: gzip\r\n\r\n")
    script: list[Action] = [head, piece(first), 0.2, piece(b"\xff" * 64), END]
    with HostileServer(lambda _: script) as server:
        api = api_for(server, flavor)
        stream = await api.stream()
        with within(5.0), pytest.raises(StreamDecodeError, match="cannot be decoded") as info:
            await stream.read()
        assert info.value.text == "Hi"
        await api.close()


async def test_a_redirect_loop_is_a_connection_error(flavor: str) -> None:
    loop = http_response(302, b"", headers=[("location", "/v1/chat/completions")])
    with HostileServer(lambda _: [loop], connections=30) as server:
        api = api_for(server, flavor, max_retries=2)
        with within(10.0), pytest.raises(APIConnectionError, match="redirect"):
            await api.create()
        assert len(server.requests) == 21  # httpx's 20 redirects, then it stops; no retry
        await api.close()
