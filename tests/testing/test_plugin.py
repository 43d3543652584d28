"""
The pytest plugin: cheap to import, a server reset around each test, and clients on it.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest

import amigochat_sdk
import amigochat_sdk.testing
from amigochat_sdk.testing import ReferenceServer
from tests.testing.helpers import chat

NO_CLIENT = not hasattr(amigochat_sdk, "Client")


def test_importing_the_plugin_loads_no_server() -> None:
    code = (
        "import sys, amigochat_sdk.testing.pytest_plugin\n"
        "print(sorted(m for m in ('starlette', 'uvicorn', 'amigochat_sdk.testing._app')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_public_names_resolve() -> None:
    for name in amigochat_sdk.testing.__all__:
        assert getattr(amigochat_sdk.testing, name) is not None
    assert set(amigochat_sdk.testing.__all__) <= set(dir(amigochat_sdk.testing))
    with pytest.raises(AttributeError):
        amigochat_sdk.testing.nothing  # noqa: B018


def test_a_test_may_change_the_server(amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.always("status=503")
    amigochat_server.options.json_shape = "wrapped"
    assert httpx.post(amigochat_server.url + "/chat/completions", json=chat()).status_code == 503


def test_the_next_test_gets_it_clean(amigochat_server: ReferenceServer) -> None:
    assert len(amigochat_server.faults) == 0 and len(amigochat_server.requests) == 0
    assert amigochat_server.options.json_shape == "plain"
    response = httpx.post(amigochat_server.url + "/chat/completions", json=chat())
    assert response.status_code == 201 and "choices" in response.json()


@pytest.mark.skipif(NO_CLIENT, reason="amigochat_sdk.Client is not written yet")
def test_client_fixture(amigochat_client: Any, amigochat_server: ReferenceServer) -> None:
    reply = amigochat_client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello there"}]
    )
    expected = 'You said: "Hello there". This conversation has 1 message(s).'
    assert reply.choices[0].message.content == expected
    assert amigochat_server.requests.last.path == "/v1/chat/completions"


@pytest.mark.skipif(NO_CLIENT, reason="amigochat_sdk.AsyncClient is not written yet")
@pytest.mark.anyio
async def test_async_client_fixture(amigochat_async_client: Any) -> None:
    stream = await amigochat_async_client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    text = ""
    async for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
    assert text == 'You said: "Hi". This conversation has 1 message(s).'
