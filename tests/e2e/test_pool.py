"""
No connection is left behind: every way out of a call gives its connection back to the httpx
pool (idle, for keep-alive) or closes it, and sequential calls share one keep-alive connection.

"Busy" means an httpcore connection that is neither idle nor closed: one still serving a response
nobody will read. `Api.ports` holds the local port of each response's socket.
"""

from __future__ import annotations

import gc

import anyio
import httpx
import pytest

from amigochat_sdk import (
    AsyncStream,
    BadRequestError,
    Client,
    Stream,
    StreamDecodeError,
    StreamInterruptedError,
    StreamServerError,
)
from amigochat_sdk.testing import ReferenceServer
from tests.e2e.conftest import MakeApi
from tests.e2e.helpers import Api, reply_to
from tests.flavors import HTTPX_LEAVES_ITS_GENERATORS_OPEN

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

REPLY = reply_to()


async def test_sequential_calls_share_one_connection(api: Api) -> None:
    for _ in range(5):
        assert (await api.create()).choices[0].message.content == REPLY
    assert len(api.ports) == 5 and len(set(api.ports)) == 1
    assert len(api.connections()) == 1 and api.busy() == []


async def test_keep_alive_survives_fully_read_streams(api: Api) -> None:
    for _ in range(3):
        assert await (await api.stream()).read() == REPLY
    await api.create()
    assert len(set(api.ports)) == 1
    assert len(api.connections()) == 1


async def test_fully_read_stream_leaves_nothing_busy(api: Api) -> None:
    stream = await api.stream()
    assert await stream.read() == REPLY
    assert (await stream.final()).choices[0].finish_reason == "stop"
    assert api.busy() == []


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_break_inside_with(api: Api) -> None:
    handle = await api.stream()
    if isinstance(handle.stream, Stream):
        with handle.stream as stream:
            for _ in stream:
                break
    else:
        assert isinstance(handle.stream, AsyncStream)
        async with handle.stream as astream:
            async for _ in astream:
                break
    assert api.busy() == []
    assert await (await api.stream()).read() == REPLY  # the pool still works


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_close_mid_stream(api: Api) -> None:
    stream = await api.stream()
    assert await stream.next() is not None
    assert len(api.busy()) == 1  # the stream holds its connection while it is open
    await stream.close()
    assert api.busy() == []
    await stream.close()  # closing twice is harmless


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_exception_in_the_loop_body(api: Api) -> None:
    handle = await api.stream()
    with pytest.raises(LookupError):
        if isinstance(handle.stream, Stream):
            with handle.stream as stream:
                for _ in stream:
                    raise LookupError("the user's own bug")
        else:
            assert isinstance(handle.stream, AsyncStream)
            async with handle.stream as astream:
                async for _ in astream:
                    raise LookupError("the user's own bug")
    assert api.busy() == []


@HTTPX_LEAVES_ITS_GENERATORS_OPEN  # an error event or a malformed one: the body is not read out
@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("close-after=3", StreamInterruptedError),
        ("eof-after=3", StreamInterruptedError),
        ("error-event-after=3", StreamServerError),
        ("malformed-after=3", StreamDecodeError),
    ],
)
async def test_stream_errors_release_the_connection(
    amigochat_server: ReferenceServer, api: Api, spec: str, error: type[Exception]
) -> None:
    amigochat_server.faults.push(spec)
    stream = await api.stream()
    with pytest.raises(error):
        await stream.read()
    assert api.busy() == []
    assert await (await api.stream()).read() == REPLY


async def test_idle_timeout_releases_the_connection(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=httpx.Timeout(2.0, read=0.2))
    amigochat_server.faults.push("stall-after=2:2")
    stream = await api.stream()
    with pytest.raises(StreamInterruptedError):
        await stream.read()
    assert api.busy() == []


async def test_error_status_keeps_the_connection_alive(
    amigochat_server: ReferenceServer, api: Api
) -> None:
    amigochat_server.faults.push("status=400")
    with pytest.raises(BadRequestError):
        await api.create()
    await api.create()
    assert len(set(api.ports)) == 1  # the error body was read whole: the socket was reused
    assert api.busy() == []


async def test_retries_leave_nothing_busy(amigochat_server: ReferenceServer, api: Api) -> None:
    amigochat_server.faults.push("close-after=2")  # two bytes of the JSON body, then a drop
    amigochat_server.faults.push("status=503;retry-after=0")
    assert (await api.create()).choices[0].message.content == REPLY
    assert len(amigochat_server.requests) == 3
    assert api.busy() == []


async def test_client_close_closes_the_pool(api: Api) -> None:
    await api.create()
    assert len(api.connections()) == 1
    await api.close()
    assert api.connections() == []


def test_sync_stream_dropped_without_close(amigochat_server: ReferenceServer) -> None:
    # `break` with no `with` block: the stream is released when it is garbage collected.
    api = Api("sync", base_url=amigochat_server.url, timeout=2.0)
    try:
        assert isinstance(api.client, Client)
        stream = api.client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}], stream=True
        )
        for _ in stream:
            break
        assert len(api.busy()) == 1
        del stream
        gc.collect()
        assert api.busy() == []
    finally:
        api.client.close()


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.parametrize("with_block", [False, True], ids=["bare", "async-with"])
async def test_cancelled_async_for(
    amigochat_server: ReferenceServer, anyio_backend: str, with_block: bool
) -> None:
    api = Api(anyio_backend, base_url=amigochat_server.url, timeout=2.0)
    try:
        amigochat_server.faults.push("stall-after=3:2")
        stream = (await api.stream()).stream
        assert isinstance(stream, AsyncStream)
        received = 0
        with anyio.move_on_after(0.3) as scope:
            if with_block:
                async with stream:
                    async for _ in stream:
                        received += 1
            else:
                async for _ in stream:
                    received += 1
        assert scope.cancelled_caught and received == 3
        assert api.busy() == []
        assert await (await api.stream()).read() == REPLY
    finally:
        await api.close()
