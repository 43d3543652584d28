"""
`EventStream` and `AsyncEventStream`: the typed streams of `parse(stream=True)` and
`run_tools(stream=True)`, and the loops that run those flows to their end without streaming.

Rule: like `_streaming.py`, these only hand over what the driver yields (the driver owns the
response and closes it on every way out); the one thing they add is carrying out `RunTools`,
with `_tools.execute` here and `_tools.aexecute` in the async twins: that is the whole
difference between the clients' tool runners.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

from ._core import Done, Ready
from ._exports import public
from ._tools import RunTools, aexecute, execute
from .types import StreamEvent

__all__ = ["AsyncEventStream", "EventStream", "arun", "run"]

R = TypeVar("R")
_NOTHING: Any = object()


def run(driver: Generator[Any, Any, None]) -> Any:
    """Drive a typed flow to its end (sync client): its result."""
    reply: Any = None
    try:
        while True:
            item = driver.send(reply)
            reply = execute(item) if type(item) is RunTools else None
            if type(item) is Done:
                return item.value
    finally:
        driver.close()


async def arun(driver: AsyncGenerator[Any, Any]) -> Any:
    """Drive a typed flow to its end (async client): its result."""
    reply: Any = None
    try:
        while True:
            item = await driver.asend(reply)
            reply = await aexecute(item) if type(item) is RunTools else None
            if type(item) is Done:
                return item.value
    finally:
        await driver.aclose()


class _Base(Generic[R]):
    response: httpx.Response
    _items: tuple[Any, ...] | list[Any] = ()
    _index = 0
    _result: Any = _NOTHING

    def _opened(self, item: Any) -> None:
        if type(item) is not Ready:  # pragma: no cover - the flows always open with Ready
            raise RuntimeError(f"a stream must open with Ready, not {item!r}")
        self.response = item.response

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

    def __init__(self, driver: Generator[Any, Any, None]) -> None:
        self._driver = driver
        self._opened(self._step())

    def _step(self) -> Any:
        item = next(self._driver)
        while type(item) is RunTools:
            item = self._driver.send(execute(item))
        return item

    def __iter__(self) -> EventStream[R]:
        return self

    def __next__(self) -> StreamEvent:
        while self._index >= len(self._items):
            if self._result is not _NOTHING:
                raise StopIteration
            item = self._step()
            if type(item) is Done:
                self._result = item.value
                self._driver.close()
                raise StopIteration
            self._items, self._index = item, 0
        self._index += 1
        return self._items[self._index - 1]  # type: ignore[no-any-return]

    def until_done(self) -> R:
        """Read what is left; the result (`ParsedChatCompletion` or `ToolRunResult`)."""
        for _ in self:
            pass
        if self._result is _NOTHING:
            raise RuntimeError("the stream was closed before its end")
        return self._result  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._items = ()
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

    def __init__(self, driver: AsyncGenerator[Any, Any]) -> None:
        self._driver = driver

    async def _start(self) -> AsyncEventStream[R]:
        self._opened(await self._step())
        return self

    async def _step(self) -> Any:
        item = await self._driver.__anext__()
        while type(item) is RunTools:
            item = await self._driver.asend(await aexecute(item))
        return item

    def __aiter__(self) -> AsyncEventStream[R]:
        return self

    async def __anext__(self) -> StreamEvent:
        while self._index >= len(self._items):
            if self._result is not _NOTHING:
                raise StopAsyncIteration
            item = await self._step()
            if type(item) is Done:
                self._result = item.value
                await self._driver.aclose()
                raise StopAsyncIteration
            self._items, self._index = item, 0
        self._index += 1
        return self._items[self._index - 1]  # type: ignore[no-any-return]

    async def until_done(self) -> R:
        """Read what is left; the result (`ParsedChatCompletion` or `ToolRunResult`)."""
        async for _ in self:
            pass
        if self._result is _NOTHING:
            raise RuntimeError("the stream was closed before its end")
        return self._result  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        self._items = ()
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
