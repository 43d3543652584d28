"""
A client on `httpx.MockTransport` and one face for both clients, so each scenario is written once.

`Api(flavor, handler)` builds a `Client` (flavor `sync`) or an `AsyncClient` (`asyncio`,
`trio`) whose transport calls `handler` and records every request and response. Its methods
are coroutines either way; for the sync client they simply call the blocking method, which never
waits on anything with a mock transport. Bodies are `Pieces`: exact byte pieces, so a test decides
where each network read ends.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from amigochat_sdk import AsyncClient, AsyncStream, Client, Stream
from amigochat_sdk.types import ChatCompletion, ChatCompletionChunk, Image, ImagesResponse

BASE_URL = "http://test/v1"
MESSAGES = [{"role": "user", "content": "Hello"}]
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

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._next():
            yield piece

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


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


class StreamHandle:
    """`Stream` or `AsyncStream`, behind one set of coroutines."""

    def __init__(self, stream: Stream[ChatCompletionChunk] | AsyncStream[ChatCompletionChunk]):
        self.stream = stream

    @property
    def response(self) -> httpx.Response:
        return self.stream.response

    async def next(self) -> ChatCompletionChunk | None:
        """The next chunk, or `None` at the end."""
        if isinstance(self.stream, Stream):
            return next(self.stream, None)
        try:
            return await self.stream.__anext__()
        except StopAsyncIteration:
            return None

    async def all(self) -> list[ChatCompletionChunk]:
        if isinstance(self.stream, Stream):
            return list(self.stream)
        return [item async for item in self.stream]

    async def text(self) -> list[str]:
        if isinstance(self.stream, Stream):
            return list(self.stream.text())
        return [item async for item in self.stream.text()]

    async def final(self) -> ChatCompletion:
        if isinstance(self.stream, Stream):
            return self.stream.get_final_completion()
        return await self.stream.get_final_completion()

    async def close(self) -> None:
        if isinstance(self.stream, Stream):
            self.stream.close()
        else:
            await self.stream.aclose()

    async def __aenter__(self) -> StreamHandle:
        """`with stream:` or `async with stream:`."""
        if isinstance(self.stream, Stream):
            assert self.stream.__enter__() is self.stream
        else:
            assert await self.stream.__aenter__() is self.stream
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(self.stream, Stream):
            self.stream.__exit__(exc_type, exc, tb)
        else:
            await self.stream.__aexit__(exc_type, exc, tb)


class Api:
    """
    One client of the flavor under test, on a mock transport calling `handler`.
    """

    def __init__(self, flavor: str, handler: Handler, **options: Any) -> None:
        self.flavor = flavor
        self.recorder = Recorder(handler)
        transport = httpx.MockTransport(self.recorder)
        options.setdefault("base_url", BASE_URL)
        self.client: Client | AsyncClient
        if flavor == "sync":
            self.client = Client(http_client=httpx.Client(transport=transport), **options)
        else:
            self.client = AsyncClient(http_client=httpx.AsyncClient(transport=transport), **options)

    @property
    def requests(self) -> list[httpx.Request]:
        return self.recorder.requests

    @property
    def responses(self) -> list[httpx.Response]:
        return self.recorder.responses

    async def create(self, **kwargs: Any) -> ChatCompletion:
        kwargs.setdefault("model", "gpt-4o-mini")
        kwargs.setdefault("messages", MESSAGES)
        assert kwargs.pop("stream", False) is False, "use `stream()` for streams"
        completion: ChatCompletion
        if isinstance(self.client, Client):
            completion = self.client.chat.completions.create(stream=False, **kwargs)
        else:
            completion = await self.client.chat.completions.create(stream=False, **kwargs)
        return completion

    async def stream(self, **kwargs: Any) -> StreamHandle:
        kwargs.setdefault("model", "gpt-4o-mini")
        kwargs.setdefault("messages", MESSAGES)
        if isinstance(self.client, Client):
            return StreamHandle(self.client.chat.completions.create(stream=True, **kwargs))
        return StreamHandle(await self.client.chat.completions.create(stream=True, **kwargs))

    async def chunks(self, **kwargs: Any) -> list[ChatCompletionChunk]:
        return await (await self.stream(**kwargs)).all()

    async def generate(self, prompt: str = "A cat", **kwargs: Any) -> ImagesResponse:
        if isinstance(self.client, Client):
            return self.client.images.generate(prompt, **kwargs)
        return await self.client.images.generate(prompt, **kwargs)

    async def fetch(self, image: Image) -> bytes:
        if isinstance(self.client, Client):
            return self.client.images.fetch(image)
        return await self.client.images.fetch(image)

    async def save(self, images: ImagesResponse | Image | list[Image], path: Path) -> list[Path]:
        if isinstance(self.client, Client):
            return self.client.images.save(images, path)
        return await self.client.images.save(images, path)

    async def close(self) -> None:
        if isinstance(self.client, Client):
            self.client.close()
        else:
            await self.client.close()
