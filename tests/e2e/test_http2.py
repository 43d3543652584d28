"""
`http2=True` against a real HTTP/2 server: hypercorn serving the reference app over TLS (a
throwaway CA from trustme), negotiated by ALPN; both clients, streamed and not.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from amigochat_sdk import AsyncClient, Client, response_info
from amigochat_sdk.testing import create_app
from amigochat_sdk.types import ChatCompletionMessageParam

pytestmark = pytest.mark.e2e

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello"}]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def h2_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, ssl.SSLContext, Path]]:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    folder: Path = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    config = Config()
    port = _free_port()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile, config.keyfile = str(cert_file), str(key_file)
    config.alpn_protocols = ["h2", "http/1.1"]
    config.accesslog = config.errorlog = None

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started = threading.Event()

    async def main() -> None:
        started.set()
        await serve(create_app(), config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    started.wait(10)
    context = ssl.create_default_context()
    authority.configure_trust(context)
    url = f"https://127.0.0.1:{port}/v1"
    for _ in range(100):  # until it accepts
        try:
            with httpx.Client(verify=context) as probe:
                probe.get(url.replace("/v1", "/health"), timeout=1)
            break
        except httpx.TransportError:
            threading.Event().wait(0.05)
    yield url, context, folder / "ca.pem"
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()  # else its self-pipe sockets wait for the collector, inside some later test


def test_the_sync_client_speaks_http2(h2_server: tuple[str, ssl.SSLContext, Path]) -> None:
    url, context, _ = h2_server
    http = httpx.Client(http2=True, verify=context)
    with Client(base_url=url, http_client=http) as client:
        completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert response_info(completion).http_version == "HTTP/2"  # type: ignore[union-attr]
        with client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        ) as stream:
            assert stream.response_info.http_version == "HTTP/2"
            assert "Hello" in "".join(stream.text())
    http.close()


def test_http2_true_makes_an_http2_pool(
    h2_server: tuple[str, ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _, ca_file = h2_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # httpx trusts it for the SDK's own pool
    with Client(base_url=url, http2=True) as client:
        completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert response_info(completion).http_version == "HTTP/2"  # type: ignore[union-attr]
    with Client(base_url=url) as client:  # and without it, HTTP/1.1
        completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert response_info(completion).http_version == "HTTP/1.1"  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_the_async_client_speaks_http2(h2_server: tuple[str, ssl.SSLContext, Path]) -> None:
    url, context, _ = h2_server
    async with httpx.AsyncClient(http2=True, verify=context) as http:
        client = AsyncClient(base_url=url, http_client=http)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        async with stream:
            assert stream.response_info.http_version == "HTTP/2"
            final = await stream.get_final_completion()
        assert "Hello" in (final.choices[0].message.content or "")
