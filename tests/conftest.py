"""
Fixtures for the whole suite: a clean environment, both async backends, and the client
flavors.
"""

from __future__ import annotations

import os

import pytest

from tests.flavors import FLAVORS


@pytest.fixture(autouse=True)
def clean_amigochat_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    No test sees the developer's `AMIGOCHAT_*` settings (API key, base URL, ...): a test that
    needs one sets it itself.
    """
    for name in list(os.environ):
        if name.startswith("AMIGOCHAT_"):
            monkeypatch.delenv(name)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """
    Every `@pytest.mark.anyio` test runs twice: on asyncio and on trio.
    """
    backend: str = request.param
    return backend


@pytest.fixture(params=FLAVORS)
def flavor(request: pytest.FixtureRequest) -> str:
    """
    `sync` drives `Client`; `asyncio` and `trio` drive `AsyncClient` on that backend. A folder
    whose tests take `flavor` overrides `anyio_backend` to follow it.
    """
    name: str = request.param
    return name
