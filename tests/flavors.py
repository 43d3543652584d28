"""
One face for `Client` and `AsyncClient`, so that each scenario is written once.

`FlavorApi(flavor, **options)` builds a `Client` (flavor `sync`) or an `AsyncClient` (`asyncio`,
`trio`); its methods are coroutines either way (the sync client simply blocks, which is harmless
inside the test's event loop). `tests.client.helpers.Api` puts it on a mock transport,
`tests.e2e.helpers.Api` on a real socket; each adds what its tests look at.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx
import pytest

from amigochat_sdk import AsyncClient, AsyncStream, Client, Stream
from amigochat_sdk.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    Image,
    ImagesResponse,
)

#: `sync` drives `Client`; `asyncio` and `trio` drive `AsyncClient` on that backend.
FLAVORS = ("sync", "asyncio", "trio")
MODEL = "gpt-4o-mini"

# On a real socket, httpx and httpcore read a body through async generators nested in their own
# (`AsyncResponseStream`, `PoolByteStream`, `_receive_response_body`) that closing the response
# does not finish, whoever closes it: the raw-httpx case of `test_rounds_of_cancelled_streams_...`
# in tests/e2e/test_cancellation.py shows it with no SDK at all (encode/httpx#3686,
# encode/httpcore#1019). `aclose()` on the outermost (which the driver calls on a body it stops
# reading before its end: an error event, a decode error, a close) finishes that one only; each
# one nested in it is dropped unfinished, at once, so trio warns inside the test that closed it.
HTTPX_LEAVES_ITS_GENERATORS_OPEN = pytest.mark.filterwarnings(
    r"ignore:Async generator 'http(x|core)\._[\w.]+' was garbage:ResourceWarning"
)


def user(text: str = "Hello") -> list[ChatCompletionMessageParam]:
    """A conversation of one user message."""
    return [{"role": "user", "content": text}]


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


HandleT = TypeVar("HandleT", bound=StreamHandle)


class FlavorApi(Generic[HandleT]):
    """
    A client of one flavor. `stream()` wraps what it opens in `handle`, so a subclass can hand
    out a richer `StreamHandle`.
    """

    handle: type[HandleT]

    def __init__(self, flavor: str, **options: Any) -> None:
        self.flavor = flavor
        self.client: Client | AsyncClient
        self.client = Client(**options) if flavor == "sync" else AsyncClient(**options)

    async def create(self, **kwargs: Any) -> ChatCompletion:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("messages", user())
        assert kwargs.pop("stream", False) is False, "use `stream()` for streams"
        completion: ChatCompletion
        if isinstance(self.client, Client):
            completion = self.client.chat.completions.create(stream=False, **kwargs)
        else:
            completion = await self.client.chat.completions.create(stream=False, **kwargs)
        return completion

    async def stream(self, **kwargs: Any) -> HandleT:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("messages", user())
        if isinstance(self.client, Client):
            return self.handle(self.client.chat.completions.create(stream=True, **kwargs))
        return self.handle(await self.client.chat.completions.create(stream=True, **kwargs))

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

    async def save(
        self, images: ImagesResponse | Image | list[Image], path: str | Path
    ) -> list[Path]:
        if isinstance(self.client, Client):
            return self.client.images.save(images, path)
        return await self.client.images.save(images, path)

    async def close(self) -> None:
        if isinstance(self.client, Client):
            self.client.close()
        else:
            await self.client.close()
