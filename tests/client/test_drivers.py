"""
The runners and their drivers: the protocol of `_core` carried out, and nothing else.
"""

from __future__ import annotations

import gc
import warnings
import zlib
from typing import Any

import httpx
import pytest

from amigochat_sdk._core import RECEIVE, Close, Config, Flow, Send, Sleep
from amigochat_sdk._drivers import AsyncRunner, Runner
from amigochat_sdk._pools import Pool
from amigochat_sdk._retry import RetryPolicy
from tests.client.helpers import BASE_URL, Pieces
from tests.flavors import HTTPX_LEAVES_ITS_GENERATORS_OPEN

pytestmark = pytest.mark.anyio


def _config() -> Config:
    return Config(
        base_url=BASE_URL,
        timeout=httpx.Timeout(5.0),
        policy=RetryPolicy(max_retries=0),
        headers={},
        device_uuid="device",
    )


class Probe:
    """A flow that sends one request, reads one piece, then yields `last`; records its end."""

    def __init__(self, last: object) -> None:
        self.last = last
        self.closed = False
        self.response: httpx.Response | None = None

    def flow(self) -> Flow[str]:
        try:
            self.response = yield Send(httpx.Request("GET", BASE_URL + "/x"))
            first = yield RECEIVE
            yield Sleep(0)
            yield self.last
            return f"read {first!r}"
        finally:
            self.closed = True


async def _run(flavor: str, body: Pieces, flow: Flow[Any]) -> Any:
    """Run `flow` on the runner of `flavor` (the sync one never waits on the mock transport)."""
    config = _config()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=body))
    if flavor == "sync":
        with httpx.Client(transport=transport) as http:
            return Runner(config, Pool(http, None), {}).run(flow)
    async with httpx.AsyncClient(transport=transport) as http:
        return await AsyncRunner(config, Pool(http, None), {}).run(flow)


async def test_a_run_returns_the_result_and_closes_the_response_and_the_flow(
    flavor: str,
) -> None:
    body = Pieces([b"one", b"two"])
    probe = Probe(())  # an empty `LastHandOver`: handed over, replied to with None
    assert await _run(flavor, body, probe.flow()) == "read b'one'"
    assert probe.closed and body.closed
    assert probe.response is not None and probe.response.is_closed


async def test_a_command_the_driver_does_not_know_raises(flavor: str) -> None:
    body = Pieces([b"one"])
    probe = Probe("not a command")
    with pytest.raises(TypeError, match="a flow yielded 'not a command'"):
        await _run(flavor, body, probe.flow())
    assert probe.closed and body.closed


def _gzipped(*parts: bytes) -> list[bytes]:
    """`parts` as one gzip body, a flushed piece each, so each decodes on its own read."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    pieces = [deflate.compress(part) + deflate.flush(zlib.Z_SYNC_FLUSH) for part in parts]
    return [*pieces, deflate.flush()]


#: What httpx nests in `Response.aiter_bytes` (an encoding it decodes itself, here `identity`):
#: closing the outer one drops these unfinished, which is httpx's to fix (encode/httpx#3686).
#: trio warns about the first at once, and about each one nested in it once it has closed the
#: one before, in a task of its own: later in the test, hence the mark as well.
_HTTPX_OWN = ("httpx._models.Response.aiter_raw", "httpx._client.BoundAsyncStream.__aiter__")


@pytest.mark.parametrize("flavor", ["trio"])
@pytest.mark.parametrize(
    ("coding", "nested_in_httpx"),
    [
        (None, ()),
        ("gzip", ()),
        pytest.param("identity", _HTTPX_OWN, marks=HTTPX_LEAVES_ITS_GENERATORS_OPEN),
    ],
    ids=["own-stream", "adecoded", "aiter_bytes"],
)
async def test_each_body_left_unread_is_closed_on_every_way_out(
    flavor: str, coding: str | None, nested_in_httpx: tuple[str, ...]
) -> None:
    # trio warns about each async generator collected before its end: none may be the driver's.
    request = httpx.Request("GET", BASE_URL + "/x")
    headers = {} if coding is None else {"content-encoding": coding}

    def reply(_: httpx.Request) -> httpx.Response:
        parts = [b"one", b"two", b"three"]
        body = _gzipped(*parts) if coding == "gzip" else parts
        return httpx.Response(200, headers=headers, stream=Pieces(body))

    def flow() -> Flow[str]:
        for _ in range(2):  # a retry: a new `Send` replaces a response read in part
            response = yield Send(request)
            assert (yield RECEIVE)
        yield Close(response)
        yield Send(request)
        assert (yield RECEIVE)
        return "the last body is left to the driver's own end"

    async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as http:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            runner = AsyncRunner(_config(), Pool(http, None), {})
            assert await runner.run(flow()) == "the last body is left to the driver's own end"
            gc.collect()  # trio warns about an unfinished one as it collects it, at once
    collected = [str(w.message).split("'")[1] for w in caught if w.category is ResourceWarning]
    assert [name for name in collected if name not in nested_in_httpx] == []
