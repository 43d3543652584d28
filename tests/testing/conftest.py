"""
The reference server for these tests is the pytest plugin's `amigochat_server` fixture: one
uvicorn thread for the session, reset around each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from amigochat_sdk.testing import ReferenceServer


@pytest.fixture
def http(amigochat_server: ReferenceServer) -> Iterator[httpx.Client]:
    """
    A plain httpx client on the server's `/v1`, with no retries and a short timeout.
    """
    with httpx.Client(base_url=amigochat_server.url, timeout=10.0) as client:
        yield client
