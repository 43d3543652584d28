"""
Starting and stopping servers leaves nothing behind; the command line serves and exits cleanly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from amigochat_sdk.testing import ReferenceServer, ServerOptions, serve
from tests.subprocesses import restore_sigint
from tests.testing.helpers import chat


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_start_stop_leaves_no_thread_or_port() -> None:
    before = set(threading.enumerate())
    with serve(chunk_size=2) as server:
        port = server.port
        assert server.url == f"http://127.0.0.1:{port}/v1"
        assert set(threading.enumerate()) - before
        with httpx.Client() as client:  # keep-alive connections must not block the stop
            assert client.post(server.url + "/chat/completions", json=chat()).status_code == 201
            assert listening(port)
    assert set(threading.enumerate()) == before
    assert not listening(port)
    server.stop()  # a second stop does nothing
    assert repr(server) == "<ReferenceServer stopped>"
    with pytest.raises(RuntimeError):
        server.url  # noqa: B018


def test_stop_cuts_a_stalled_stream_short() -> None:
    before = set(threading.enumerate())
    server = ReferenceServer().start()
    spec = {"x-amigochat-fault": "stall-after=1:30"}
    with httpx.Client(timeout=10) as client:
        url = server.url + "/chat/completions"
        with client.stream("POST", url, json=chat(stream=True), headers=spec) as response:
            reads = response.iter_raw()
            next(reads)
            started = time.monotonic()
            server.stop(timeout=5)
            assert time.monotonic() - started < 1.0
            with pytest.raises(httpx.RemoteProtocolError):
                list(reads)
    assert set(threading.enumerate()) == before


def test_two_servers_at_once() -> None:
    with serve(api_key="one") as first, serve(ServerOptions(api_key="two")) as second:
        assert first.port != second.port
        for server, key in ((first, "one"), (second, "two")):
            headers = {"authorization": f"Bearer {key}"}
            response = httpx.post(server.url + "/chat/completions", json=chat(), headers=headers)
            assert response.status_code == 201
            assert len(server.requests) == 1
        first.faults.push("status=503")
        assert (
            httpx.post(
                second.url + "/chat/completions",
                json=chat(),
                headers={"authorization": "Bearer two"},
            ).status_code
            == 201
        )


def test_start_twice_and_bad_arguments() -> None:
    with serve() as server:
        with pytest.raises(RuntimeError):
            server.start()
    with pytest.raises(TypeError):
        ReferenceServer(ServerOptions(), app=server.app)
    with pytest.raises(ValueError):
        ServerOptions(json_shape="xml")  # type: ignore[arg-type]


def test_a_busy_port_fails_to_start() -> None:
    with serve() as server:
        with pytest.raises(OSError):
            ReferenceServer(port=server.port).start()


def test_command_line_serves_until_sigint() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "amigochat_sdk.testing", "--port", "0", "--chunk-size", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=restore_sigint,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        response = httpx.post(url + "/chat/completions", json=chat(stream=True), timeout=10)
        assert response.status_code == 201 and response.text.endswith("data: [DONE]\n\n")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err and out == ""
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    assert not listening(port)


def test_command_line_rejects_a_busy_port() -> None:
    with serve() as server:
        port = server.port
        result = subprocess.run(
            [sys.executable, "-m", "amigochat_sdk.testing", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert result.returncode == 1 and f"port {port} is in use" in result.stderr
