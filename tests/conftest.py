"""
Fixtures for the whole suite: a clean environment, and both async backends.
"""

from __future__ import annotations

import os

import pytest


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
