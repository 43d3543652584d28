"""
The two drivers, and the runners that resources use: the only code in the SDK that does I/O.

Rule: a driver carries out the commands a flow yields (the protocol is in `_core.py`) and
decides nothing. The sync and async drivers differ only in `await`, `time.sleep` against
`anyio.sleep`, `close` against `aclose`, running tools one after the other against
concurrently (`_tools.execute` / `aexecute`), and calling hooks against awaiting them. Both
close the current body iterator, then its response, and the flow on every way out, and raise
on a command they do not know.

A resource sees a client only as a runner: `config` (the resolved settings), `learned` (what
the client learned about models), `run(flow)` (its result) and `stream(flow)` (what it hands
over, for the streams' `open`).
"""

from __future__ import annotations

import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Generator,
    Iterable,
    Iterator,
)
from typing import Any, TypeVar

import httpx

from ._core import (
    RECEIVE,
    Close,
    Config,
    Done,
    Flow,
    HandOver,
    LastHandOver,
    Ready,
    Receive,
    RunHook,
    RunTools,
    Send,
    Sleep,
)
from ._decoding import ContentDecoder, content_decoder
from ._exceptions import InvalidInputError
from ._pools import Pool

__all__ = ["AsyncRunner", "Items", "Runner", "adrive", "drive"]

T = TypeVar("T")

#: What a driver yields to its runner: `Ready`, each value of each hand-over, then `Done`.
Items = Generator[Any, None, None]


def drive(http: httpx.Client, flow: Flow[Any], result: bool = True) -> Items:
    """Run `flow` on `http`, yielding what it hands over; `Done(result)` last if `result`."""
    response: httpx.Response | None = None
    body: Any = iter(())
    try:
        command = next(flow)
        while True:
            try:
                kind = type(command)
                if kind is HandOver:  # the hot path: one per read of a stream
                    yield from command
                if kind is HandOver or command is RECEIVE:
                    reply: Any = next(body, b"") or _rest(body)
                elif kind is Send:
                    if response is not None:  # the last attempt's, read or not: release it
                        _close_body(body)
                        response.close()
                    reply = response = http.send(command.request, stream=True)
                    body = _body(response, asynchronous=False)
                elif kind is Receive:
                    assert response is not None
                    reply = _next_within(body, response, command.timeout)
                elif kind is Sleep:
                    reply = None
                    time.sleep(command.seconds)
                elif kind is Close:
                    reply = None
                    if command.response is response:
                        _close_body(body)
                    command.response.close()
                elif kind is RunHook:
                    reply = command.function(*command.args)
                    if isinstance(reply, Awaitable):
                        raise _async_hook(command, reply)
                elif kind is RunTools:
                    from ._tools import execute  # pydantic-heavy: only for the tool runner

                    reply = execute(command)
                elif kind is LastHandOver:
                    reply = None
                    yield from command
                elif kind is Ready:
                    reply = None
                    yield command
                else:
                    raise _unknown(command)
            except httpx.RequestError as exc:
                command = flow.throw(_failed(exc, response))
                continue
            command = flow.send(reply)
    except StopIteration as stop:
        if result:
            yield Done(stop.value)
    finally:
        if response is not None:
            try:
                _close_body(body)
            finally:
                response.close()
        flow.close()


async def adrive(
    http: httpx.AsyncClient, flow: Flow[Any], result: bool = True
) -> AsyncGenerator[Any, None]:
    """Run `flow` on `http`, yielding what it hands over; `Done(result)` last if `result`."""
    response: httpx.Response | None = None
    body: Any = None
    step: Any = None  # `body.__anext__`
    try:
        command = next(flow)
        while True:
            try:
                kind = type(command)
                if kind is HandOver:  # the hot path: one per read of a stream
                    for value in command:
                        yield value
                if kind is HandOver or command is RECEIVE:
                    # The bound `__anext__`, not `anext(body, b"")`, whose wrapper object
                    # costs an allocation and one more hand-off on every read.
                    try:
                        reply: Any = await step()
                    except StopAsyncIteration:
                        reply = b""
                    if not reply:
                        reply = await _arest(body)
                elif kind is Send:
                    if response is not None:  # the last attempt's, read or not: release it
                        await _aclose_body(body)
                        await response.aclose()
                    reply = response = await http.send(command.request, stream=True)
                    body = _body(response, asynchronous=True)
                    step = body.__anext__
                elif kind is Receive:
                    assert response is not None
                    reply = await _anext_within(body, response, command.timeout)
                elif kind is Sleep:
                    reply = None
                    await _sleep(command.seconds)
                elif kind is Close:
                    reply = None
                    if command.response is response:
                        await _aclose_body(body)
                    await command.response.aclose()
                elif kind is RunHook:
                    reply = command.function(*command.args)
                    if isinstance(reply, Awaitable):
                        reply = await reply
                elif kind is RunTools:
                    from ._tools import aexecute  # pydantic-heavy: only for the tool runner

                    reply = await aexecute(command)
                elif kind is LastHandOver:
                    reply = None
                    for value in command:
                        yield value
                elif kind is Ready:
                    reply = None
                    yield command
                else:
                    raise _unknown(command)
            except httpx.RequestError as exc:
                command = flow.throw(_failed(exc, response))
                continue
            command = flow.send(reply)
    except StopIteration as stop:
        if result:
            yield Done(stop.value)
    finally:
        if response is not None:
            await _aclose(body, response)
        flow.close()


def _async_hook(command: RunHook, reply: Awaitable[Any]) -> InvalidInputError:
    if hasattr(reply, "close"):  # a coroutine never awaited warns; this one is refused
        reply.close()
    name = getattr(command.function, "__qualname__", repr(command.function))
    return InvalidInputError(f"The hook {name} is async: async hooks need AsyncClient")


def _unknown(command: object) -> TypeError:
    return TypeError(f"a flow yielded {command!r}, which is not a command of _core")


def _body(response: httpx.Response, asynchronous: bool) -> Any:
    """
    The body's reads, an iterator (async for the async driver): the response's own byte
    stream when it is not encoded (one layer fewer than `iter_raw` on the hot path), decoded
    by `_decoding` in bounded pieces for gzip and deflate, by httpx for other encodings.
    """
    if response.is_stream_consumed:  # a mock transport's content, read already
        return response.aiter_bytes() if asynchronous else response.iter_bytes()
    decoder = content_decoder(response)
    stream: Any = response.stream
    if "content-encoding" not in response.headers:
        return stream.__aiter__() if asynchronous else iter(stream)
    if asynchronous:
        return response.aiter_bytes() if decoder is None else _adecoded(stream, decoder)
    return response.iter_bytes() if decoder is None else _decoded(stream, decoder)


def _rest(body: Iterator[bytes]) -> bytes:
    # A byte stream may yield an empty piece before its end; to the flow, `b""` is the end.
    return next((piece for piece in body if piece), b"")


async def _arest(body: AsyncIterator[bytes]) -> bytes:
    async for piece in body:
        if piece:
            return piece
    return b""


def _failed(exc: httpx.RequestError, response: httpx.Response | None) -> httpx.RequestError:
    # Errors from the byte stream itself carry no request (`iter_raw` used to add it).
    try:
        exc.request  # noqa: B018 - a property that raises when unset
    except RuntimeError:
        if response is not None:
            exc.request = response.request
    return exc


def _decoded(raw: Iterable[bytes], decoder: ContentDecoder) -> Iterator[bytes]:
    reads = iter(raw)
    try:
        for data in reads:
            yield from decoder.decode(data)
        yield decoder.flush()
    finally:  # closed early (the driver closes its body): so is the stream it reads
        _close_body(reads)


async def _adecoded(raw: AsyncIterable[bytes], decoder: ContentDecoder) -> AsyncIterator[bytes]:
    reads = aiter(raw)
    try:
        async for data in reads:
            for piece in decoder.decode(data):
                yield piece
        yield decoder.flush()
    finally:  # closed early (the driver closes its body): so is the stream it reads
        await _aclose_body(reads)


def _close_body(body: object) -> None:
    # A generator left suspended is finalized whenever the collector gets to it; closing it
    # runs its cleanup now. Other iterators (a tuple's, before the first `Send`) have none.
    close = getattr(body, "close", None)
    if close is not None:
        close()


async def _aclose_body(body: object) -> None:
    # As `_close_body`: trio warns (ResourceWarning) about each async generator it collects
    # unfinished, and only `aclose()` finishes one that was not read to its end.
    aclose = getattr(body, "aclose", None)
    if aclose is not None:
        await aclose()


def _next_within(body: Iterator[bytes], response: httpx.Response, seconds: float) -> bytes:
    """
    The next read, waiting at most `seconds`. httpcore fixes a body's read timeout when the
    body starts, so each socket read of an HTTP/1.1 connection (the response's public
    `network_stream`) is cut to what is left, for this read only. A transport without one (a
    mock, HTTP/2) reads with its own timeout; the flow still checks the time after each read.
    """
    stream = response.extensions.get("network_stream")
    read = getattr(stream, "read", None)
    if read is None or response.http_version == "HTTP/2":
        return next(body, b"") or _rest(body)
    until = time.monotonic() + seconds

    def bounded(max_bytes: int, timeout: float | None = None) -> bytes:
        left = max(until - time.monotonic(), 1e-6)
        data: bytes = read(max_bytes, left if timeout is None else min(timeout, left))
        return data

    own = "read" in getattr(stream, "__dict__", {})
    try:
        stream.read = bounded  # type: ignore[union-attr]
    except AttributeError:  # pragma: no cover - a stream class with slots: no bound
        return next(body, b"") or _rest(body)
    try:
        return next(body, b"") or _rest(body)
    finally:
        if own:
            stream.read = read  # type: ignore[union-attr]
        else:
            del stream.read  # type: ignore[union-attr]


async def _anext_within(body: Any, response: httpx.Response, seconds: float) -> bytes:
    import anyio

    try:
        with anyio.fail_after(seconds):
            data: bytes = await anext(body, b"") or await _arest(body)
            return data
    except TimeoutError:
        raise httpx.ReadTimeout(
            f"No data within {seconds:.3g}s", request=response.request
        ) from None


async def _aclose(body: object, response: httpx.Response) -> None:
    # Shielded: a cancelled task must still give its connection back (or close it), else the
    # pool keeps a connection bound to a response nobody reads. Bounded, so it cannot hang.
    # The body iterator first, as it reads from the response's stream; each has its own grace,
    # so that a body that will not close still leaves the response its time to.
    import anyio

    try:
        with anyio.CancelScope(shield=True, deadline=anyio.current_time() + _CLOSE_GRACE):
            await _aclose_body(body)
    finally:
        with anyio.CancelScope(shield=True, deadline=anyio.current_time() + _CLOSE_GRACE):
            await response.aclose()


_CLOSE_GRACE = 5.0  # seconds a shielded close may take


async def _sleep(seconds: float) -> None:
    # anyio only when the async client sleeps: it costs the sync client nothing at import.
    import anyio

    await anyio.sleep(seconds)


class Runner:
    """
    What a resource needs of `Client`: its settings, and a way to run or stream a flow.
    """

    __slots__ = ("config", "learned", "pool")

    def __init__(self, config: Config, pool: Pool[httpx.Client], learned: dict[str, str]) -> None:
        self.config = config
        self.pool = pool
        #: What the client learned about each model (see `_structured`): per client.
        self.learned = learned

    def run(self, flow: Flow[T]) -> T:
        """Run `flow` to its end and return its result."""
        driver = drive(self.pool.get(), flow)
        try:
            for item in driver:
                if type(item) is Done:
                    return item.value  # type: ignore[no-any-return]
        finally:
            driver.close()
        raise RuntimeError("the flow ended without a result")  # pragma: no cover

    def stream(self, flow: Flow[Any], result: bool = True) -> Items:
        """The driver of `flow`, not started: a stream pulls from it (see `drive`)."""
        return drive(self.pool.get(), flow, result)


class AsyncRunner:
    """
    What a resource needs of `AsyncClient`: as `Runner`, awaited.
    """

    __slots__ = ("config", "learned", "pool")

    def __init__(
        self, config: Config, pool: Pool[httpx.AsyncClient], learned: dict[str, str]
    ) -> None:
        self.config = config
        self.pool = pool
        #: What the client learned about each model (see `_structured`): per client.
        self.learned = learned

    async def run(self, flow: Flow[T]) -> T:
        """Run `flow` to its end and return its result."""
        driver = adrive(self.pool.get(), flow)
        try:
            async for item in driver:
                if type(item) is Done:
                    return item.value  # type: ignore[no-any-return]
        finally:
            await driver.aclose()
        raise RuntimeError("the flow ended without a result")  # pragma: no cover

    def stream(self, flow: Flow[Any], result: bool = True) -> AsyncGenerator[Any, None]:
        """The driver of `flow`, not started: a stream pulls from it (see `adrive`)."""
        return adrive(self.pool.get(), flow, result)
