"""
Cancellation at scale: 200 async streams per round, half of them cancelled through cancel
scopes (mid-stream, or at a random moment, connecting included), round after round. The same
scenario runs on raw httpx, to tell what the SDK does from what httpx/httpcore do on their own.

What holds for both: every connection with a socket is idle or closed afterwards (none is left
bound to a response nobody reads), the pool stays within its limits and serves the next call.

What httpcore 1.0.9 does on its own (encode/httpcore#1093, #658, #830; fixed in the
pydantic/httpx2 fork, pydantic/httpx2#983): a request cancelled after the pool assigned it a
new connection but before that connection connected leaves the connection in the pool, with
no socket and no request. Such a slot is never reused nor reaped. The SDK cannot prevent that
(the cancellation lands inside `httpx.AsyncClient.send`); it does not add to it, and it closes
responses under a shield, so its own cancellations never leave a socket busy.
"""

from __future__ import annotations

import random
import time
from typing import Any

import anyio
import httpx
import pytest

from amigochat_sdk import AsyncClient
from amigochat_sdk.testing import ReferenceServer
from tests.e2e.helpers import reply_to
from tests.flavors import HTTPX_LEAVES_ITS_GENERATORS_OPEN, MODEL, user

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

STREAMS = 200
ROUNDS = 3
FAULT = {"x-amigochat-fault": "stall-after=3:0.3"}
MAX_CONNECTIONS, MAX_KEEPALIVE = 100, 20
LIMITS = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


def pool_state(http: httpx.AsyncClient) -> dict[str, int]:
    pool: Any = getattr(http._transport, "_pool")  # noqa: B009 - httpcore's, private
    connections = list(pool.connections)
    with_socket = [c for c in connections if c._connection is not None]
    return {
        "connections": len(connections),
        "busy": sum(not (c.is_idle() or c.is_closed()) for c in with_socket),
        "without_socket": len(connections) - len(with_socket),
        "requests": len(pool._requests),
    }


async def sdk_stream(client: AsyncClient, url: str, index: int, delay: float) -> None:
    with anyio.CancelScope() as scope:
        if index % 4 == 1:
            scope.deadline = anyio.current_time() + delay  # any moment, connecting included
        stream = await client.chat.completions.create(
            model=MODEL, messages=user(), stream=True, extra_headers=FAULT
        )
        async with stream:
            received = 0
            async for _ in stream:
                received += 1
                if index % 4 == 3 and received == 2:
                    scope.cancel()  # mid-stream
                    await anyio.sleep(0)


async def raw_stream(http: httpx.AsyncClient, url: str, index: int, delay: float) -> None:
    body = {"model": MODEL, "messages": user(), "stream": True}
    with anyio.CancelScope() as scope:
        if index % 4 == 1:
            scope.deadline = anyio.current_time() + delay
        async with http.stream("POST", f"{url}/chat/completions", json=body, headers=FAULT) as r:
            received = 0
            async for line in r.aiter_lines():
                received += line.startswith("data:")
                if index % 4 == 3 and received == 2:
                    scope.cancel()
                    await anyio.sleep(0)


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
@pytest.mark.parametrize("kind", ["sdk", "raw-httpx"])
async def test_rounds_of_cancelled_streams_leave_the_pool_bounded_and_usable(
    amigochat_server: ReferenceServer, kind: str
) -> None:
    rng = random.Random(12)
    url = amigochat_server.url
    async with httpx.AsyncClient(limits=LIMITS, timeout=30.0) as http:
        client = AsyncClient(base_url=url, http_client=http, max_retries=0)
        states = []
        for _ in range(ROUNDS):
            started = time.monotonic()
            async with anyio.create_task_group() as group:
                for index in range(STREAMS):
                    delay = rng.uniform(0.0, 0.4)
                    if kind == "sdk":
                        group.start_soon(sdk_stream, client, url, index, delay)
                    else:
                        group.start_soon(raw_stream, http, url, index, delay)
            assert time.monotonic() - started < 30.0
            states.append(pool_state(http))
        for state in states:
            assert state["busy"] == 0, states
            assert state["requests"] == 0, states
            assert state["connections"] <= MAX_CONNECTIONS, states
        # No growth once the first round filled the pool: bounded after any number of rounds.
        assert states[-1]["connections"] <= states[0]["connections"] + MAX_KEEPALIVE
        with anyio.fail_after(10):
            completion = await client.chat.completions.create(model=MODEL, messages=user())
        assert completion.choices[0].message.content == reply_to()
        assert pool_state(http)["busy"] == 0


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_closing_a_stream_inside_a_cancelled_scope_releases_its_connection(
    amigochat_server: ReferenceServer,
) -> None:
    async with httpx.AsyncClient(limits=LIMITS, timeout=30.0) as http:
        client = AsyncClient(base_url=amigochat_server.url, http_client=http, max_retries=0)
        stream = await client.chat.completions.create(
            model=MODEL, messages=user(), stream=True, extra_headers=FAULT
        )
        assert await stream.__anext__() is not None
        assert pool_state(http)["busy"] == 1
        with anyio.CancelScope() as scope:
            scope.cancel()
            await stream.aclose()  # a cancelled task still gives the connection back
        # Closed mid-body, the connection cannot be reused: it is closed, not left busy.
        assert pool_state(http) == {
            "connections": 0,
            "busy": 0,
            "without_socket": 0,
            "requests": 0,
        }
