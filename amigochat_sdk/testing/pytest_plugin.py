"""
pytest fixtures for the reference server, loaded by itself through the `pytest11` entry point.

Rule: importing this module costs nothing and needs nothing: starlette, uvicorn and the clients
are imported inside the fixtures. Without the `server` extra a fixture **fails** (never skips)
with the one-line message saying what to install, so a CI job missing the extra cannot go green.

- `amigochat_session_server`: one `ReferenceServer`, started on first use, for the whole session.
- `amigochat_server`: that server, reset (no faults, empty request log, first options) around
  each test.
- `amigochat_client_options`: keyword arguments for the clients; override it in a conftest.
- `amigochat_client`, `amigochat_async_client`: a `Client` / `AsyncClient` on the server, closed
  after the test (the async one runs under anyio: mark the test `@pytest.mark.anyio`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .._client import AsyncClient, Client
    from ._server import ReferenceServer


@pytest.fixture(scope="session")
def amigochat_session_server() -> Iterator[ReferenceServer]:
    from .._exceptions import MissingExtraError

    try:
        from . import ReferenceServer
    except MissingExtraError as exc:
        missing = str(exc)
    else:
        missing = ""
    if missing:  # outside the `except`, so the report is the message alone
        pytest.fail(missing, pytrace=False)
    with ReferenceServer() as server:
        yield server


@pytest.fixture
def amigochat_server(amigochat_session_server: ReferenceServer) -> Iterator[ReferenceServer]:
    amigochat_session_server.reset()
    yield amigochat_session_server
    amigochat_session_server.reset()


@pytest.fixture
def amigochat_client_options(amigochat_server: ReferenceServer) -> dict[str, Any]:
    return {"api_key": amigochat_server.options.api_key, "max_retries": 2}


@pytest.fixture
def amigochat_client(
    amigochat_server: ReferenceServer, amigochat_client_options: dict[str, Any]
) -> Iterator[Client]:
    from .._client import Client

    with Client(base_url=amigochat_server.url, **amigochat_client_options) as client:
        yield client


@pytest.fixture
async def amigochat_async_client(
    amigochat_server: ReferenceServer, amigochat_client_options: dict[str, Any], anyio_backend: Any
) -> AsyncIterator[AsyncClient]:
    from .._client import AsyncClient

    async with AsyncClient(base_url=amigochat_server.url, **amigochat_client_options) as client:
        yield client
