"""
Fixtures for the end-to-end tests: every scenario runs on `Client`, and on `AsyncClient` under
asyncio and under trio, against the reference server on a real loopback socket. Nothing is
patched: retries really wait, sockets really drop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from amigochat_sdk.testing import ReferenceServer
from tests.e2e.helpers import Api

MakeApi = Callable[..., Api]


@pytest.fixture
def anyio_backend(flavor: str) -> str:
    # The sync client blocks the test's event loop while it waits; the server has its own thread.
    return "trio" if flavor == "trio" else "asyncio"


@pytest.fixture
async def make_api(
    amigochat_server: ReferenceServer, flavor: str, anyio_backend: str
) -> AsyncIterator[MakeApi]:
    """
    Build clients of the flavor under test on the reference server; all are closed afterwards.
    """
    made: list[Api] = []

    def make(**options: Any) -> Api:
        options.setdefault("base_url", amigochat_server.url)
        api = Api(flavor, **options)
        made.append(api)
        return api

    yield make
    for api in made:
        await api.close()


@pytest.fixture
def api(make_api: MakeApi) -> Api:
    """
    A client with the defaults but short timeouts: connect 2 s, read 2 s.
    """
    return make_api(timeout=2.0)
