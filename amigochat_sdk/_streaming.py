"""
`Stream` and `AsyncStream`: a streamed answer as an object with a life cycle.

Rule: a stream owns one HTTP response and gives it back on every way out: exhaustion, `break`
out of a `with` block, an exception, `close()`, and garbage collection (the driver generator's
`finally` closes the response). The chunks come from the flow in `_chat_flow.py` through a
driver (`_drivers.py`); this module only hands them over. `open` makes a stream from a driver.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Generator, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

from ._accumulate import ChatAccumulator
from ._core import Ready
from ._exports import public
from ._meta import ResponseInfo
from .types import ChatCompletion, ChatCompletionChunk

__all__ = ["AsyncStream", "Stream"]

ChunkT = TypeVar("ChunkT", bound=ChatCompletionChunk)


class _StreamBase(Generic[ChunkT]):
    response: httpx.Response
    _state: ChatAccumulator

    def _opened(self, item: Ready) -> None:
        if type(item) is not Ready:  # pragma: no cover - the flow always opens with Ready
            raise RuntimeError(f"a stream must open with Ready, not {item!r}")
        self.response = item.response
        self.response_info: ResponseInfo = item.info
        """How the call went up to the stream's response: its request id, retries, time."""
        self._state = item.state

    @property
    def headers(self) -> httpx.Headers:
        """The response headers."""
        return self.response.headers

    @property
    def request_id(self) -> str | None:
        """The server's id for this request (`x-request-id`), for support tickets."""
        return self.response_info.request_id

    @property
    def text_so_far(self) -> str:
        """The content of the first choice received so far."""
        return self._state.text

    def _result(self) -> ChatCompletion:
        return self._state.completion()


class Stream(_StreamBase[ChunkT], Iterator[ChunkT]):
    """
    The chunks of a streamed chat completion, as they arrive.

    ```python
    with client.chat.completions.create(model="gpt-4o-mini", messages=msgs, stream=True) as s:
        for text in s.text():
            print(text, end="", flush=True)
    print(s.get_final_completion().usage)
    ```
    """

    def __init__(self, driver: Generator[Any, None, None], ready: Ready) -> None:
        self._driver = driver
        self._opened(ready)

    @classmethod
    def open(cls, driver: Generator[Any, None, None]) -> Stream[ChunkT]:
        """The stream of `driver` (see `_drivers`), once its response is open."""
        return cls(driver, next(driver))

    def __iter__(self) -> Iterator[ChunkT]:
        # The driver itself, which yields the chunks and nothing else: a `for` loop then
        # resumes it directly, with no Python call of ours per chunk.
        return self._driver

    def __next__(self) -> ChunkT:
        return next(self._driver)  # type: ignore[no-any-return]

    def text(self) -> Iterator[str]:
        """
        Only the text: the non-empty content deltas of the first choice.
        """
        for chunk in self:
            for choice in chunk.choices:
                if choice.index == 0:
                    content = choice.delta.content or choice.text
                    if content:
                        yield content

    def get_final_completion(self) -> ChatCompletion:
        """
        Read what is left and return the whole answer assembled into one `ChatCompletion`
        (content, tool calls merged by index, finish reasons, usage). After `close()` it holds
        what arrived before the stream was closed.
        """
        for _ in self:
            pass
        return self._result()

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._driver.close()

    def __enter__(self) -> Stream[ChunkT]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStream(_StreamBase[ChunkT], AsyncIterator[ChunkT]):
    """
    The chunks of a streamed chat completion, for `async for`.

    ```python
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=msgs, stream=True)
    async with stream:
        async for chunk in stream:
            print(chunk.choices[0].delta.content or "", end="")
    ```
    """

    def __init__(self, driver: AsyncGenerator[Any, None], ready: Ready) -> None:
        self._driver = driver
        self._opened(ready)

    @classmethod
    async def open(cls, driver: AsyncGenerator[Any, None]) -> AsyncStream[ChunkT]:
        """The stream of `driver` (see `_drivers`), once its response is open."""
        return cls(driver, await driver.__anext__())

    def __aiter__(self) -> AsyncIterator[ChunkT]:
        # As `Stream.__iter__`: `async for` awaits the driver itself.
        return self._driver

    def __anext__(self) -> Awaitable[ChunkT]:
        return anext(self._driver)

    async def text(self) -> AsyncIterator[str]:
        """
        Only the text: the non-empty content deltas of the first choice.
        """
        async for chunk in self:
            for choice in chunk.choices:
                if choice.index == 0:
                    content = choice.delta.content or choice.text
                    if content:
                        yield content

    async def get_final_completion(self) -> ChatCompletion:
        """
        Read what is left and return the whole answer assembled into one `ChatCompletion`.
        """
        async for _ in self:
            pass
        return self._result()

    async def aclose(self) -> None:
        """Stop reading and release the connection, even inside a cancelled scope."""
        import anyio  # loaded already: the async client runs on it

        with anyio.CancelScope(shield=True):
            await self._driver.aclose()

    async def close(self) -> None:
        """The same as `aclose()`, under the name the sync `Stream` uses."""
        await self.aclose()

    async def __aenter__(self) -> AsyncStream[ChunkT]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


public(globals(), __all__)
