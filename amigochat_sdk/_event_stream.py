"""
`EventStream` and `AsyncEventStream`: the typed streams of `parse(stream=True)` and
`run_tools(stream=True)`.

Rule: like `_streaming.py`, these only hand over what the driver yields (the driver owns the
response and closes it on every way out, and runs the tools: see `_drivers.py`). `open` makes
a stream from a driver.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

from ._core import Done, Ready
from ._exceptions import StreamInterruptedError
from ._exports import public
from ._meta import ResponseInfo
from .types import StreamEvent

__all__ = ["AsyncEventStream", "EventStream"]

R = TypeVar("R")
_NOTHING: Any = object()


class _Base(Generic[R]):
    response: httpx.Response
    _result: Any = _NOTHING

    def _opened(self, item: Ready) -> None:
        if type(item) is not Ready:  # pragma: no cover - the flows always open with Ready
            raise RuntimeError(f"a stream must open with Ready, not {item!r}")
        self.response = item.response
        self.response_info: ResponseInfo = item.info
        """How the call went up to the first response: its request id, retries, time."""

    def _final(self) -> R:
        if self._result is _NOTHING:
            raise StreamInterruptedError("The stream was closed before its end: no result")
        return self._result  # type: ignore[no-any-return]

    @property
    def headers(self) -> httpx.Headers:
        """The first response's headers."""
        return self.response.headers


class EventStream(_Base[R], Iterator[StreamEvent]):
    """
    The events of a typed call as they happen (`types.StreamEvent`); `until_done()` reads the
    rest and returns what the call ends with.

    ```python
    with client.chat.completions.parse(model=m, messages=msgs, response_format=City,
                                       stream=True) as stream:
        for event in stream:
            if event.type == "content.delta":
                print(event.parsed)
    city = stream.until_done().choices[0].message.parsed
    ```
    """

    def __init__(self, driver: Generator[Any, None, None], ready: Ready) -> None:
        self._driver = driver
        self._opened(ready)

    @classmethod
    def open(cls, driver: Generator[Any, None, None]) -> EventStream[R]:
        """The stream of `driver` (see `_drivers`), once its first response is open."""
        return cls(driver, next(driver))

    def __iter__(self) -> EventStream[R]:
        return self

    def __next__(self) -> StreamEvent:
        item = next(self._driver)  # the driver yields each event, then `Done`
        if type(item) is Done:
            self._result = item.value
            self._driver.close()
            raise StopIteration
        return item  # type: ignore[no-any-return]

    def until_done(self) -> R:
        """Read what is left; the result (`ParsedChatCompletion` or `ToolRunResult`)."""
        for _ in self:
            pass
        return self._final()

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._driver.close()

    def __enter__(self) -> EventStream[R]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncEventStream(_Base[R], AsyncIterator[StreamEvent]):
    """The events of a typed call, for `async for`; as `EventStream`, awaited."""

    def __init__(self, driver: AsyncGenerator[Any, None], ready: Ready) -> None:
        self._driver = driver
        self._opened(ready)

    @classmethod
    async def open(cls, driver: AsyncGenerator[Any, None]) -> AsyncEventStream[R]:
        """The stream of `driver` (see `_drivers`), once its first response is open."""
        return cls(driver, await driver.__anext__())

    def __aiter__(self) -> AsyncEventStream[R]:
        return self

    async def __anext__(self) -> StreamEvent:
        item = await anext(self._driver)  # the driver yields each event, then `Done`
        if type(item) is Done:
            self._result = item.value
            await self._driver.aclose()
            raise StopAsyncIteration
        return item  # type: ignore[no-any-return]

    async def until_done(self) -> R:
        """Read what is left; the result (`ParsedChatCompletion` or `ToolRunResult`)."""
        async for _ in self:
            pass
        return self._final()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        await self._driver.aclose()

    async def close(self) -> None:
        """The same as `aclose()`."""
        await self.aclose()

    async def __aenter__(self) -> AsyncEventStream[R]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


public(globals(), ["AsyncEventStream", "EventStream"])
