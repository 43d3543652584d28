"""
pytest fixtures for the reference server, loaded by itself through the `pytest11` entry point.

Rule: importing this module costs nothing and needs nothing: starlette, uvicorn and the clients
are imported inside the fixtures, which skip the test when they are missing.

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
    from ._server import ReferenceServer


def _client_class(name: str) -> Any:
    import amigochat_sdk

    found = getattr(amigochat_sdk, name, None)
    if found is None:
        pytest.skip(f"amigochat_sdk.{name} is not available")
    return found


@pytest.fixture(scope="session")
def amigochat_session_server() -> Iterator[ReferenceServer]:
    try:
        from ._server import ReferenceServer
    except ImportError as exc:  # pragma: no cover - only without the `server` extra
        pytest.skip(f"the reference server needs amigochat-sdk[server]: {exc}")
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
) -> Iterator[Any]:
    client = _client_class("Client")(base_url=amigochat_server.url, **amigochat_client_options)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
async def amigochat_async_client(
    amigochat_server: ReferenceServer, amigochat_client_options: dict[str, Any], anyio_backend: Any
) -> AsyncIterator[Any]:
    cls = _client_class("AsyncClient")
    client = cls(base_url=amigochat_server.url, **amigochat_client_options)
    try:
        yield client
    finally:
        await client.aclose()
