"""
The two drivers, and the runners that resources use: the only code in the SDK that does I/O.

Rule: a driver carries out the commands a flow yields (the protocol is in `_core.py`) and
decides nothing. The sync and async drivers differ only in `await`, `time.sleep` against
`anyio.sleep`, `close` against `aclose`, and running tools one after the other against
concurrently (`_tools.execute` / `aexecute`). Both close the current response and the flow on
every way out, and raise on a command they do not know.

A resource sees a client only as a runner: `config` (the resolved settings), `learned` (what
the client learned about models), `run(flow)` (its result) and `stream(flow)` (what it hands
over, for the streams' `open`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Generator
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
    RunTools,
    Send,
    Sleep,
)

__all__ = ["AsyncRunner", "Items", "Runner", "adrive", "drive"]

T = TypeVar("T")

#: What a driver yields to its runner: `Ready`, the hand-overs' values, then `Done`.
Items = Generator[Any, None, None]


def drive(http: httpx.Client, flow: Flow[Any]) -> Items:
    """Run `flow` on `http`, yielding what it hands over; `Done(result)` last."""
    response: httpx.Response | None = None
    body: Any = iter(())
    try:
        command = next(flow)
        while True:
            try:
                if command is RECEIVE:
                    reply: Any = next(body, b"")
                elif type(command) is Send:
                    reply = response = http.send(command.request, stream=True)
                    body = response.iter_raw() if _plain(response) else response.iter_bytes()
                elif type(command) is HandOver:
                    yield command
                    reply = next(body, b"")
                elif type(command) is Sleep:
                    reply = None
                    time.sleep(command.seconds)
                elif type(command) is Close:
                    reply = None
                    command.response.close()
                elif type(command) is RunTools:
                    from ._tools import execute  # pydantic-heavy: only for the tool runner

                    reply = execute(command)
                elif type(command) in _FOR_THE_USER:
                    reply = None
                    yield command
                else:
                    raise _unknown(command)
            except httpx.TransportError as exc:
                command = flow.throw(exc)
                continue
            command = flow.send(reply)
    except StopIteration as stop:
        yield Done(stop.value)
    finally:
        if response is not None:
            response.close()
        flow.close()


async def adrive(http: httpx.AsyncClient, flow: Flow[Any]) -> AsyncGenerator[Any, None]:
    """Run `flow` on `http`, yielding what it hands over; `Done(result)` last."""
    response: httpx.Response | None = None
    body: Any = None
    try:
        command = next(flow)
        while True:
            try:
                if command is RECEIVE:
                    reply: Any = await anext(body, b"")
                elif type(command) is Send:
                    reply = response = await http.send(command.request, stream=True)
                    body = response.aiter_raw() if _plain(response) else response.aiter_bytes()
                elif type(command) is HandOver:
                    yield command
                    reply = await anext(body, b"")
                elif type(command) is Sleep:
                    reply = None
                    await _sleep(command.seconds)
                elif type(command) is Close:
                    reply = None
                    await command.response.aclose()
                elif type(command) is RunTools:
                    from ._tools import aexecute  # pydantic-heavy: only for the tool runner

                    reply = await aexecute(command)
                elif type(command) in _FOR_THE_USER:
                    reply = None
                    yield command
                else:
                    raise _unknown(command)
            except httpx.TransportError as exc:
                command = flow.throw(exc)
                continue
            command = flow.send(reply)
    except StopIteration as stop:
        yield Done(stop.value)
    finally:
        if response is not None:
            await _aclose(response)
        flow.close()


#: Yielded by a flow, handed over as they are, replied to with `None` (see `_core`).
_FOR_THE_USER = (Ready, LastHandOver)


def _unknown(command: object) -> TypeError:
    return TypeError(f"a flow yielded {command!r}, which is not a command of _core")


def _plain(response: httpx.Response) -> bool:
    """Whether raw reads will do: no content encoding, and a body still to be read."""
    return "content-encoding" not in response.headers and not response.is_stream_consumed


async def _aclose(response: httpx.Response) -> None:
    # Shielded: a cancelled task must still give its connection back (or close it), else the
    # pool keeps a connection bound to a response nobody reads. Bounded, so it cannot hang.
    import anyio

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

    __slots__ = ("config", "http", "learned")

    def __init__(self, config: Config, http: httpx.Client, learned: dict[str, str]) -> None:
        self.config = config
        self.http = http
        #: What the client learned about each model (see `_structured`): per client.
        self.learned = learned

    def run(self, flow: Flow[T]) -> T:
        """Run `flow` to its end and return its result."""
        driver = drive(self.http, flow)
        try:
            for item in driver:
                if type(item) is Done:
                    return item.value  # type: ignore[no-any-return]
        finally:
            driver.close()
        raise RuntimeError("the flow ended without a result")  # pragma: no cover

    def stream(self, flow: Flow[Any]) -> Items:
        """The driver of `flow`, not started: a stream pulls from it."""
        return drive(self.http, flow)


class AsyncRunner:
    """
    What a resource needs of `AsyncClient`: as `Runner`, awaited.
    """

    __slots__ = ("config", "http", "learned")

    def __init__(self, config: Config, http: httpx.AsyncClient, learned: dict[str, str]) -> None:
        self.config = config
        self.http = http
        #: What the client learned about each model (see `_structured`): per client.
        self.learned = learned

    async def run(self, flow: Flow[T]) -> T:
        """Run `flow` to its end and return its result."""
        driver = adrive(self.http, flow)
        try:
            async for item in driver:
                if type(item) is Done:
                    return item.value  # type: ignore[no-any-return]
        finally:
            await driver.aclose()
        raise RuntimeError("the flow ended without a result")  # pragma: no cover

    def stream(self, flow: Flow[Any]) -> AsyncGenerator[Any, None]:
        """The driver of `flow`, not started: a stream pulls from it."""
        return adrive(self.http, flow)
