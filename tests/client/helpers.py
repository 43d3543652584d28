"""
A client on `httpx.MockTransport`, so each scenario is written once for both clients.

`Api(flavor, handler)` is a `tests.flavors.FlavorApi` whose transport calls `handler` and
records every request and response; for the sync client its coroutines simply call the blocking
method, which never waits on anything with a mock transport. Bodies are `Pieces`: exact byte
pieces, so a test decides where each network read ends.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import httpx

from tests.flavors import FlavorApi, StreamHandle, user

BASE_URL = "http://test/v1"
MESSAGES = user()
SSE = {"content-type": "text/event-stream"}

Handler = Callable[[httpx.Request], httpx.Response]


class Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
    """
    A response body delivered as exactly these pieces, one per network read, for the sync and
    the async client alike; then `error` is raised, if given (a connection that drops).
    """

    def __init__(self, pieces: Iterable[bytes], error: Exception | None = None) -> None:
        self.pieces = list(pieces)
        self.error = error
        self.delivered = 0
        self.closed = False

    def _next(self) -> Iterator[bytes]:
        for piece in self.pieces:
            self.delivered += 1
            yield piece
        if self.error is not None:
            raise self.error

    def __iter__(self) -> Iterator[bytes]:
        yield from self._next()

    def __aiter__(self) -> AsyncIterator[bytes]:
        # Not an async generator: trio warns about every one collected before its end, and a
        # test stops reading early on purpose.
        return _AsyncPieces(self._next())

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


class _AsyncPieces:
    """`Pieces` read by the async client: its sync iterator, awaited."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self.pieces = pieces

    def __aiter__(self) -> _AsyncPieces:
        return self

    async def __anext__(self) -> bytes:
        try:
            return next(self.pieces)
        except StopIteration:
            raise StopAsyncIteration from None


def response(
    status: int,
    pieces: Iterable[bytes],
    *,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
    error: Exception | None = None,
) -> httpx.Response:
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["content-type"] = content_type
    return httpx.Response(status, headers=all_headers, stream=Pieces(pieces, error))


def sse_response(
    *pieces: bytes, status: int = 200, error: Exception | None = None
) -> httpx.Response:
    return response(status, pieces, content_type="text/event-stream", error=error)


def json_response(
    status: int, data: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    return response(
        status, [json.dumps(data).encode()], content_type="application/json", headers=headers
    )


def chunk_data(
    content: str | None = None,
    *,
    index: int = 0,
    finish: str | None = None,
    role: str | None = None,
    **delta: Any,
) -> dict[str, Any]:
    if content is not None:
        delta["content"] = content
    if role is not None:
        delta["role"] = role
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def event(data: object, *, name: str | None = None) -> bytes:
    """One SSE event: `data` as JSON (or as is, when bytes), after an optional `event:` line."""
    payload = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    head = b"event: " + name.encode() + b"\n" if name else b""
    return head + b"data: " + payload + b"\n\n"


def chunk_event(content: str | None = None, **fields: Any) -> bytes:
    return event(chunk_data(content, **fields))


DONE = b"data: [DONE]\n\n"


def completion_data(content: str = "Hello!", **fields: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        **fields,
    }


class Recorder:
    """The transport's handler: calls the scenario's handler, keeping requests and responses."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.handler(request)
        self.responses.append(reply)
        return reply

    @property
    def request(self) -> httpx.Request:
        """The last request."""
        assert self.requests, "nothing was sent"
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


class Api(FlavorApi[StreamHandle]):
    """
    One client of the flavor under test, on a mock transport calling `handler`.
    """

    handle = StreamHandle

    def __init__(self, flavor: str, handler: Handler, **options: Any) -> None:
        self.recorder = Recorder(handler)
        transport = httpx.MockTransport(self.recorder)
        options.setdefault("base_url", BASE_URL)
        http: httpx.Client | httpx.AsyncClient
        if flavor == "sync":
            http = httpx.Client(transport=transport)
        else:
            http = httpx.AsyncClient(transport=transport)
        super().__init__(flavor, http_client=http, **options)

    @property
    def requests(self) -> list[httpx.Request]:
        return self.recorder.requests

    @property
    def responses(self) -> list[httpx.Response]:
        return self.recorder.responses
