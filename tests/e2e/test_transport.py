"""
The transport as production uses it, on the reference server over real sockets: a log that
shows each attempt and no secret, a pool that a forked child does not share, one sync client
shared by many threads.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import threading

import pytest

from amigochat_sdk import Client
from amigochat_sdk.testing import ReferenceServer
from amigochat_sdk.types import ChatCompletionMessageParam

KEY = "sk-live-log-secret-0123456789"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello"}]

pytestmark = pytest.mark.e2e


def test_amigochat_log_debug_shows_each_attempt_and_no_secret(
    amigochat_server: ReferenceServer,
) -> None:
    amigochat_server.options = dataclasses.replace(amigochat_server.options, api_key=KEY)
    amigochat_server.faults.push("status=503;retry-after=0")
    script = textwrap.dedent(
        f"""
        import logging
        from amigochat_sdk import Client
        logging.basicConfig(level=logging.DEBUG)  # httpx's and httpcore's own loggers on too
        with Client(base_url={amigochat_server.url!r}, max_retry_after=1) as client:
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{{"role": "user", "content": "Hello"}}],
                extra_headers={{"cookie": "session=cookie-secret-42"}},
            )
        """
    )
    env = {**os.environ, "AMIGOCHAT_LOG": "debug", "AMIGOCHAT_API_KEY": KEY}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    log = result.stderr
    assert '"HTTP/1.1 503" after' in log and "(attempt 1)" in log
    assert '"HTTP/1.1 201" after' in log and "(attempt 2)" in log
    assert "send_request_headers" in log  # httpcore's lines are there, redacted
    assert KEY not in log
    assert "cookie-secret-42" not in log


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_does_not_reuse_its_parents_connections(
    amigochat_server: ReferenceServer,
) -> None:
    with Client(base_url=amigochat_server.url, api_key=amigochat_server.options.api_key) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        peers_before = {r.peer for r in amigochat_server.requests}
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: one call, then report how it went
            code = 1
            try:
                reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
                code = 0 if reply.choices[0].message.content else 2
            finally:
                os.write(write, bytes([code]))
                os._exit(0)
        os.close(write)
        status = os.read(read, 1)
        os.close(read)
        os.waitpid(pid, 0)
        assert status == b"\x00"
        child_peer = amigochat_server.requests.last.peer
        assert child_peer is not None and child_peer not in peers_before  # a connection of its own
        # The parent's connection is intact: its next call still works.
        again = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert again.choices[0].message.content


def test_sixteen_threads_stream_through_one_client(amigochat_server: ReferenceServer) -> None:
    texts: dict[int, str] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def work(index: int, client: Client) -> None:
        try:
            start.wait(timeout=10)
            messages: list[ChatCompletionMessageParam] = [
                {"role": "user", "content": f"thread {index}"}
            ]
            with client.chat.completions.create(
                model="gpt-4o-mini",
                messages=messages,
                stream=True,
            ) as stream:
                texts[index] = "".join(stream.text())
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    with Client(base_url=amigochat_server.url, api_key=amigochat_server.options.api_key) as client:
        threads = [threading.Thread(target=work, args=(i, client)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert sorted(texts) == list(range(16))
    for index, text in texts.items():
        assert f"thread {index}" in text  # each stream got its own answer, whole
