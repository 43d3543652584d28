"""
The runners and their drivers: the protocol of `_core` carried out, and nothing else.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from amigochat_sdk._core import RECEIVE, Config, Flow, Send, Sleep
from amigochat_sdk._drivers import AsyncRunner, Runner
from amigochat_sdk._pools import Pool
from amigochat_sdk._retry import RetryPolicy
from tests.client.helpers import BASE_URL, Pieces

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
