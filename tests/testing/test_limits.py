"""
The reference server against large requests: bodies over the limit get a 413 it survives, and
a long message streamed back costs memory in proportion to its text, not hundreds of MB.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from amigochat_sdk import Client, PermissionDeniedError
from amigochat_sdk._exceptions import APIStatusError
from amigochat_sdk.testing import ReferenceServer, ServerOptions
from amigochat_sdk.testing._replies import MAX_PIECES
from tests.testing.helpers import chat


def blocks(total: int, size: int = 65536) -> Iterator[bytes]:
    for _ in range(total // size):
        yield b"x" * size


def test_a_body_over_the_limit_is_413_with_a_nest_body(
    amigochat_server: ReferenceServer, http: httpx.Client
) -> None:
    amigochat_server.options.max_body_size = 1000
    reply = http.post("/chat/completions", json=chat("x" * 2000))
    assert reply.status_code == 413
    assert reply.json() == {
        "message": "request entity too large (more than 1000 bytes)",
        "error": "Request Entity Too Large",
        "statusCode": 413,
    }
    assert len(amigochat_server.requests) == 0
    assert http.post("/chat/completions", json=chat("short")).status_code == 201


def test_the_sdk_reports_a_413_as_a_status_error(amigochat_server: ReferenceServer) -> None:
    amigochat_server.options.max_body_size = 1000
    with Client(base_url=amigochat_server.url, max_retries=0) as client:
        with pytest.raises(APIStatusError) as info:
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "x" * 2000}]
            )
    assert not isinstance(info.value, PermissionDeniedError)
    assert info.value.status_code == 413
    assert "request entity too large" in str(info.value)


@pytest.mark.parametrize("declared", [True, False])
def test_a_50_mb_body_is_refused_and_the_server_lives_on(
    amigochat_server: ReferenceServer, declared: bool
) -> None:
    total = 50 * 1024 * 1024
    headers = {"content-length": str(total)} if declared else {}
    tracemalloc.start()
    try:
        started = time.monotonic()
        with httpx.Client(base_url=amigochat_server.url, timeout=30.0) as http:
            reply = http.post("/chat/completions", content=blocks(total), headers=headers)
            elapsed = time.monotonic() - started
            peak = tracemalloc.get_traced_memory()[1]
            assert reply.status_code == 413
            assert http.post("/chat/completions", json=chat("still here")).status_code == 201
    finally:
        tracemalloc.stop()
    assert elapsed < 20.0
    assert peak < 40 * 1024 * 1024  # the limit (10 MiB) kept at most once, never 50 MB


def test_a_1_mb_message_streams_back_in_bounded_memory(amigochat_server: ReferenceServer) -> None:
    text = "y" * 1_000_000
    tracemalloc.start()
    try:
        with Client(base_url=amigochat_server.url, max_retries=0) as client:
            stream = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": text}], stream=True
            )
            with stream:
                final = stream.get_final_completion()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert final.choices[0].message.content == (
        f'You said: "{text}". This conversation has 1 message(s).'
    )
    assert len(stream._state.chunks) <= MAX_PIECES + 3  # role, pieces, finish
    # Client and server together; the text and its JSON take a few MB, 850 MB it used to be.
    assert peak < 64 * 1024 * 1024


def test_max_body_size_is_an_option() -> None:
    assert ServerOptions().max_body_size == 10 * 1024 * 1024
    with pytest.raises(ValueError, match="max_body_size"):
        ServerOptions(max_body_size=-1)
