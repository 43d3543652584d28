"""
`amigochat serve` and `python -m amigochat_sdk.testing`: one command, one set of options.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest

from amigochat_sdk.testing import serve
from tests.cli.helpers import MODULE, SCRIPT, assert_clean_error, env, run, spawn

pytestmark = pytest.mark.e2e

TESTING = [sys.executable, "-m", "amigochat_sdk.testing"]
BOTH = pytest.mark.parametrize(
    "command", [[*SCRIPT, "serve"], TESTING], ids=["amigochat serve", "python -m ...testing"]
)
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
OPTIONS = (
    "--host",
    "--port",
    "--api-key",
    "--shape",
    "--image-shape",
    "--chunk-size",
    "--include-usage",
    "--reject-unknown-fields",
    "--max-body-size",
    "--quiet",
    "--log-level",
)


def options_in_help(command: list[str]) -> list[str]:
    result = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, timeout=30, env=env()
    )
    assert result.returncode == 0, result.stderr
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", result.stdout)) - {"--help"})


def test_both_commands_offer_the_same_options_and_only_a_servers() -> None:
    assert options_in_help([*SCRIPT, "serve"]) == options_in_help(TESTING) == sorted(OPTIONS)


class Served:
    """The command serving in a child process, its URL read from the first line of stdout."""

    def __init__(self, command: list[str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [*command, "--port", "0", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env(), "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", self.url), self.url

    def stop(self) -> tuple[int, str]:
        """Ctrl-C; the exit code and everything it wrote on stderr."""
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.communicate()
        return self.proc.returncode, err


@BOTH
def test_api_key_is_required_and_each_request_is_logged(command: list[str]) -> None:
    served = Served(command, "--api-key", "secret", "--shape", "wrapped")
    try:
        url = served.url + "/chat/completions"
        refused = httpx.post(url, json=CHAT, headers={"authorization": "Bearer wrong"}, timeout=10)
        served_ok = httpx.post(
            url, json=CHAT, headers={"authorization": "Bearer secret"}, timeout=10
        )
    finally:
        code, err = served.stop()
    assert refused.status_code == 401
    assert served_ok.status_code == 201
    assert set(served_ok.json()) == {"message"}  # --shape wrapped
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0].startswith(f"serving until Ctrl-C; try: AMIGOCHAT_BASE_URL={served.url} ")
    requests = [line for line in lines if "/v1/chat/completions" in line]
    assert len(requests) == 2, err
    assert requests[0].endswith('"POST /v1/chat/completions HTTP/1.1" 401')
    assert requests[1].endswith('"POST /v1/chat/completions HTTP/1.1" 201')
    assert "Traceback" not in err and "secret" not in err


@BOTH
def test_stream_options_and_quiet(command: list[str]) -> None:
    served = Served(command, "--chunk-size", "100", "--include-usage", "--quiet")
    try:
        reply = httpx.post(
            served.url + "/chat/completions", json={**CHAT, "stream": True}, timeout=10
        )
    finally:
        code, err = served.stop()
    events = [line for line in reply.text.splitlines() if line.startswith("data: {")]
    assert len(events) == 4  # role, the whole text in one chunk, finish, usage
    assert '"usage":{' in events[-1]
    assert code == 0
    assert "/v1/chat/completions" not in err


@BOTH
def test_a_port_in_use_is_one_line_naming_it(command: list[str]) -> None:
    with serve() as busy:
        port = busy.port
        result = subprocess.run(
            [*command, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            env=env(),
        )
    line = assert_clean_error(result)
    assert line == f"error: port {port} is in use on 127.0.0.1: pick another with --port"
    assert result.stdout == ""


@BOTH
def test_bad_option_values_are_usage_errors(command: list[str]) -> None:
    result = subprocess.run(
        [*command, "--chunk-size", "0"], capture_output=True, text=True, timeout=30, env=env()
    )
    assert assert_clean_error(result, code=2) == "error: chunk_size must be at least 1"


def test_client_options_are_refused_by_serve() -> None:
    result = run("--base-url", "http://127.0.0.1:9/v1", "--timeout", "3", "serve")
    line = assert_clean_error(result, code=2)
    assert line == "error: serve does not take --base-url, --timeout (see: amigochat serve --help)"


def test_an_api_key_before_the_command_counts_too() -> None:
    proc = spawn("--api-key", "early", "serve", "--port", "0", "--quiet")
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()
        refused = httpx.post(url + "/chat/completions", json=CHAT, timeout=10)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert refused.status_code == 401
    assert proc.returncode == 0
    assert MODULE[-1] == "amigochat_sdk"
