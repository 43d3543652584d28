"""
Every ```python block of README.md runs, unchanged, against the reference server.

A block runs as a script in a fresh interpreter (cwd a temporary folder, `AMIGOCHAT_BASE_URL`
pointing at the server); a block that defines `test_` functions runs under pytest instead, as a
user's test file would. Blocks fenced as ```python no-run are shown, not run. The blocks start
all at once (they share nothing but a server that answers each alike) and are checked one by one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from amigochat_sdk.testing import ReferenceServer

README = Path(__file__).resolve().parent.parent / "README.md"
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.M | re.S)


def blocks(info: str) -> list[tuple[int, str]]:
    """The (line number, code) of each fenced block whose info string is exactly `info`."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 1, m.group(2))
        for m in _FENCE.finditer(text)
        if m.group(1).strip() == info
    ]


PYTHON = blocks("python")

Outcome = tuple[list[str], subprocess.CompletedProcess[str]]


def _start(code: str, folder: Path, url: str) -> tuple[list[str], subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIGOCHAT_")}
    env["AMIGOCHAT_BASE_URL"] = url
    if re.search(r"^(async )?def test_", code, re.M):
        (folder / "test_example.py").write_text(code, encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]
    else:
        (folder / "example.py").write_text(code, encoding="utf-8")
        command = [sys.executable, "-W", "error", "example.py"]
    proc = subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return command, proc


@pytest.fixture(scope="module")
def outcomes(
    amigochat_session_server: ReferenceServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[int, Outcome]]:
    started = {
        line: _start(code, tmp_path_factory.mktemp(f"line-{line}"), amigochat_session_server.url)
        for line, code in PYTHON
    }
    results: dict[int, Outcome] = {}
    try:
        for line, (command, proc) in started.items():
            out, err = proc.communicate(timeout=60)
            results[line] = command, subprocess.CompletedProcess(command, proc.returncode, out, err)
        yield results
    finally:
        for _, proc in started.values():
            proc.kill()
            proc.wait()


def test_the_two_commands_come_first() -> None:
    head = README.read_text(encoding="utf-8").split("\n## ", 1)[0]
    lines = [line.split("#")[0].strip() for line in head.splitlines()]
    assert "scripts/demo" in lines and "scripts/test" in lines
    assert len(PYTHON) >= 10


@pytest.mark.e2e
@pytest.mark.parametrize("line", [n for n, _ in PYTHON], ids=[f"line-{n}" for n, _ in PYTHON])
def test_readme_example_runs(line: int, outcomes: dict[int, Outcome]) -> None:
    command, result = outcomes[line]

    assert result.returncode == 0, f"README.md line {line}:\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    if command[1] == "-m":  # pytest: every test ran and passed
        assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout
