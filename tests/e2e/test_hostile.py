"""
The SDK against a hostile server on a loopback socket, for `Client` and `AsyncClient` (asyncio
and trio): every fault ends in an `AmigoChatError` of the one right class, within a time bound
and a memory bound, and the error round-trips through pickle (and a real process pool) without
the API key. The key appears in no message, repr, traceback, pickle or log line, even when the
server echoes it back.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import pickle
import time
import traceback
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from amigochat_sdk import (
    AmigoChatError,
    APIDecodeError,
    AuthenticationError,
    BadRequestError,
    Client,
    CloudflareBlockedError,
    InvalidInputError,
    RateLimitError,
    StreamDecodeError,
    StreamServerError,
)
from amigochat_sdk.types import Image
from tests.e2e.helpers import Api
from tests.e2e.hostile import Action, HostileServer, http_response
from tests.flavors import HTTPX_LEAVES_ITS_GENERATORS_OPEN, user

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

KEY = "hostile-key-5b1f0c9e7d"
DEEP = b"[" * 100_000 + b"]" * 100_000
CLOUDFLARE = (
    b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
    b"<h1>Sorry, you have been blocked</h1>Cloudflare Ray ID: <strong>8d2b5c4a1f2e3d4c</strong>"
    b"</body></html>"
)
CHUNK = json.dumps(
    {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}],
    }
).encode()
TIME_LIMIT = 10.0  # seconds: every fault here ends at once; the timeouts are 2 s
MEMORY_LIMIT = 48 * 1024 * 1024  # the largest body here is 200 KB


def sse(*events: bytes) -> bytes:
    body = b"".join(b"data: " + event + b"\n\n" for event in events)
    return http_response(200, body, "text/event-stream")


def echo_key(request: bytes) -> bytes:
    """The request's authorization header as a server that quotes it would send it back."""
    line = next((h for h in request.split(b"\r\n") if h.lower().startswith(b"authorization:")), b"")
    value = line.partition(b":")[2].strip().decode()
    return json.dumps({"error": {"message": f"key rejected: {value} (raw {value[7:]})"}}).encode()


@dataclass(frozen=True)
class Case:
    """A fault: what the server writes, which call meets it, and the one class it must raise."""

    name: str
    script: Callable[[bytes], Sequence[Action]]
    call: str  # create, stream, generate or fetch
    expected: type[AmigoChatError]


CASES = [
    Case("nested-json-body", lambda _: [http_response(201, DEEP)], "create", APIDecodeError),
    Case(
        "nested-json-unlabelled",
        lambda _: [http_response(201, DEEP, "application/octet-stream")],
        "create",
        APIDecodeError,
    ),
    Case("nested-json-error", lambda _: [http_response(400, DEEP)], "create", BadRequestError),
    Case("nested-json-images", lambda _: [http_response(201, DEEP)], "generate", APIDecodeError),
    Case("nested-json-chunk", lambda _: [sse(CHUNK, DEEP)], "stream", StreamDecodeError),
    Case(
        "nested-json-error-event",
        lambda _: [
            http_response(
                200,
                b"data: " + CHUNK + b"\n\nevent: error\ndata: " + DEEP + b"\n\n",
                "text/event-stream",
            )
        ],
        "stream",
        StreamServerError,
    ),
    Case(
        "cloudflare-200",
        lambda _: [http_response(200, CLOUDFLARE, "text/html")],
        "create",
        CloudflareBlockedError,
    ),
    Case(
        "cloudflare-200-as-json",
        lambda _: [http_response(200, CLOUDFLARE)],
        "create",
        CloudflareBlockedError,
    ),
    Case(
        "cloudflare-200-stream",
        lambda _: [http_response(200, CLOUDFLARE, "text/html")],
        "stream",
        CloudflareBlockedError,
    ),
    Case(
        "cloudflare-200-images",
        lambda _: [http_response(200, CLOUDFLARE, "text/html")],
        "generate",
        CloudflareBlockedError,
    ),
    Case(
        "cloudflare-503",
        lambda _: [http_response(503, CLOUDFLARE, "text/html")],
        "create",
        CloudflareBlockedError,
    ),
    Case(
        "image-without-url",
        lambda _: [http_response(201, b'{"data": [{"revised_prompt": "x"}]}')],
        "fetch",
        InvalidInputError,
    ),
    Case(
        "key-echoed-401",
        lambda request: [http_response(401, echo_key(request))],
        "create",
        AuthenticationError,
    ),
    Case(
        "key-echoed-mid-stream",
        lambda request: [
            http_response(
                200,
                b"data: " + CHUNK + b"\n\nevent: error\ndata: " + echo_key(request) + b"\n\n",
                "text/event-stream",
            )
        ],
        "stream",
        StreamServerError,
    ),
    Case(
        "rate-limited",
        lambda _: [
            http_response(
                429,
                b'{"error": {"message": "slow down"}}',
                headers=[("x-request-id", "req-429"), ("retry-after", "1")],
            )
        ],
        "create",
        RateLimitError,
    ),
]


async def meet(api: Api, call: str) -> None:
    """Make the call that meets the fault; it must raise."""
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "create": lambda: api.create(messages=user()),
        "stream": lambda: _read_stream(api),
        "generate": lambda: api.generate("A cat"),
        "fetch": lambda: _generate_and_fetch(api),
    }
    await calls[call]()


async def _read_stream(api: Api) -> None:
    await (await api.stream(messages=user())).read()


async def _generate_and_fetch(api: Api) -> None:
    images = await api.generate("A cat")
    await api.fetch(images.data[0])


def assert_no_key(error: BaseException, records: Sequence[logging.LogRecord]) -> None:
    shown = [str(error), repr(error), "".join(traceback.format_exception(error))]
    shown += [record.getMessage() for record in records]
    for text in shown:
        assert KEY not in text
    assert KEY.encode() not in pickle.dumps(error)


@HTTPX_LEAVES_ITS_GENERATORS_OPEN  # the faults that end a stream before its body does
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_every_fault_is_an_sdk_error_in_time_and_memory(
    flavor: str, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx's and httpcore's included
    with HostileServer(case.script) as server:
        api = Api(flavor, base_url=server.url, api_key=KEY, max_retries=0, timeout=2.0)
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(AmigoChatError) as info:
                await meet(api, case.call)
            elapsed = time.monotonic() - started
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            await api.close()
    error = info.value
    assert type(error) is case.expected
    assert elapsed < TIME_LIMIT
    assert peak < MEMORY_LIMIT
    assert_no_key(error, caplog.records)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    for name in ("status_code", "request_id", "text", "code"):
        assert getattr(copy, name, None) == getattr(error, name, None), name
    body = getattr(error, "body", None)
    if KEY in json.dumps(body):  # what the server echoed is kept, its key redacted
        assert json.dumps(getattr(copy, "body", None)) == json.dumps(body).replace(
            KEY, "[REDACTED]"
        )
    else:
        assert getattr(copy, "body", None) == body


# --- across processes ---------------------------------------------------------------------------


def rate_limited_call(url: str) -> str:
    """In a worker process: a call that ends in `RateLimitError`."""
    with Client(base_url=url, api_key=KEY, max_retries=0, timeout=5.0) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=user())
    return "unreachable"


def test_a_rate_limit_error_crosses_a_process_pool() -> None:
    rate_limited = next(case for case in CASES if case.name == "rate-limited")
    with HostileServer(rate_limited.script) as server:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        with context.Pool(1) as pool:
            pending = pool.apply_async(rate_limited_call, (server.url,))
            with pytest.raises(RateLimitError) as info:
                pending.get(timeout=60)  # before the fix the pool's result thread died here
    error = info.value
    assert error.status_code == 429
    assert error.request_id == "req-429"
    assert error.body == {"error": {"message": "slow down"}}
    assert error.retry_after == 1.0
    assert str(error) == "Error code: 429 - slow down"
    assert error.request is not None and "authorization" not in error.request.headers
    assert KEY.encode() not in pickle.dumps(error)


# --- the command line -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["\n", "\r\nx-injected: 1", "\u00e9"])
def test_debug_never_shows_a_key_that_cannot_be_sent(bad: str) -> None:
    from tests.cli.helpers import run

    with HostileServer(lambda _: [http_response(201, b"{}")]) as server:
        result = run(
            "--debug",
            "--base-url",
            server.url,
            "chat",
            "Hi",
            extra_env={"AMIGOCHAT_API_KEY": KEY + bad},
        )
        assert server.requests == []
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "InvalidInputError" in result.stderr
    assert KEY not in result.stderr + result.stdout
    assert result.stderr.splitlines()[-1].startswith("error: The API key ")


# --- inputs that never reach the socket, and a key that stays home ----------------------------


async def test_unsendable_inputs_never_reach_the_socket(flavor: str) -> None:
    with HostileServer(lambda _: [http_response(201, b"{}")]) as server:
        api = Api(flavor, base_url=server.url, api_key=KEY, max_retries=0, timeout=2.0)
        try:
            bad_calls: list[Callable[[], Awaitable[Any]]] = [
                lambda: api.create(
                    messages=user(), extra_headers={"x-trace": f"{KEY}\r\nx-evil: 1"}
                ),
                lambda: api.create(messages=user(), extra_body={"temperature": float("nan")}),
                lambda: api.generate("A cat", extra_body={"seed": float("inf")}),
                lambda: api.fetch(Image()),
            ]
            for call in bad_calls:
                with pytest.raises(InvalidInputError) as info:
                    await call()
                assert_no_key(info.value, [])
        finally:
            await api.close()
        assert server.requests == []


async def test_the_key_is_not_sent_to_the_api_host_over_plain_http(flavor: str) -> None:
    png = b"\x89PNG\r\n\x1a\n"
    with HostileServer(lambda _: [http_response(200, png, "image/png")]) as server:
        # The API is https on this host and port; the image is plain http on the same ones.
        https_url = server.url.replace("http://", "https://")
        api = Api(flavor, base_url=https_url, api_key=KEY, max_retries=0, timeout=2.0)
        try:
            assert await api.fetch(Image(url=f"{server.origin}/files/1.png")) == png
        finally:
            await api.close()
        (request,) = server.requests
    assert KEY.encode() not in request
    assert b"authorization" not in request.lower()
