"""
`amigochat models` and `amigochat serve`.
"""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from tests.cli.helpers import MODULE, REPLY, SCRIPT, env, run
from tests.subprocesses import restore_sigint

pytestmark = pytest.mark.e2e


def test_models_table() -> None:
    result = run("models", via=SCRIPT)

    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["MODEL", "KIND", "PERSONA", "ID", "ALIASES"]
    table = {row.split()[0]: row.split()[1:] for row in rows}
    assert table["gpt-4o-mini"] == ["chat", "amigo"]
    assert table["flux-pro/v1.1"] == ["image", "flux-1-1-pro"]
    assert table["claude-3-5-sonnet-20241022"][-1] == "claude-3.5-sonnet"
    assert result.stderr == ""  # no note on every run


def test_models_json_and_kind() -> None:
    result = run("--local", "models", "--json", "--kind", "image")

    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert {e["kind"] for e in entries} == {"image"}
    assert {
        "model": "flux/dev",
        "kind": "image",
        "persona_id": "flux-dev",
        "aliases": ["flux-dev"],
    } in entries


def test_serve_prints_its_url_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [*MODULE, "serve", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        preexec_fn=restore_sigint,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        result = run("--base-url", url, "chat", "Hi")
        assert result.stdout == REPLY.format("Hi", 1) + "\n"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err
