"""
Without the `server` extra, every way into the reference server says, in one line, what to
install; the pytest fixtures fail (never skip). The extra is hidden from a child process by
blocking its imports, as if starlette and uvicorn were not installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from amigochat_sdk.testing import SERVER_EXTRA_MESSAGE

BLOCK = "import sys; sys.modules['starlette'] = sys.modules['uvicorn'] = None\n"
LINE = f"error: {SERVER_EXTRA_MESSAGE}"


def python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_importing_serve_names_the_extra() -> None:
    result = python("from amigochat_sdk.testing import serve")
    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert last == f"amigochat_sdk.MissingExtraError: {SERVER_EXTRA_MESSAGE}"
    assert "ModuleNotFoundError" not in result.stderr
    assert "During handling" not in result.stderr


def test_the_error_is_an_import_error_too() -> None:
    result = python(
        """
        from amigochat_sdk import AmigoChatError
        try:
            from amigochat_sdk.testing import ReferenceServer
        except ImportError as exc:
            assert isinstance(exc, AmigoChatError)
            print("caught")
        """
    )
    assert result.stdout == "caught\n", result.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "amigochat_sdk.testing", "--port", "0"],
        ["-m", "amigochat_sdk", "serve", "--port", "0"],
        ["-m", "amigochat_sdk", "--local", "chat", "Hi"],
    ],
    ids=["python -m amigochat_sdk.testing", "amigochat serve", "amigochat --local"],
)
def test_commands_say_it_in_one_line(argv: list[str]) -> None:
    result = python(
        f"""
        import runpy
        sys.argv = {[argv[1], *argv[2:]]!r}
        runpy.run_module({argv[1]!r}, run_name="__main__", alter_sys=True)
        """
    )
    assert result.returncode == 1
    assert result.stderr == LINE + "\n"
    assert result.stdout == ""


def test_help_needs_no_extra() -> None:
    for module in ("amigochat_sdk.testing", "amigochat_sdk"):
        argv = ["serve", "--help"] if module == "amigochat_sdk" else ["--help"]
        result = python(
            f"""
            import runpy
            sys.argv = [{module!r}, *{argv!r}]
            runpy.run_module({module!r}, run_name="__main__", alter_sys=True)
            """
        )
        assert result.returncode == 0, result.stderr
        assert "--api-key" in result.stdout


def test_the_fixtures_fail_rather_than_skip(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(BLOCK)
    (tmp_path / "test_mine.py").write_text(
        "def test_uses_the_client(amigochat_client):\n    pass\n\n"
        "def test_uses_the_server(amigochat_server):\n    pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout
    assert "2 errors" in result.stdout
    assert "skipped" not in result.stdout
    assert result.stdout.count(f"\n{SERVER_EXTRA_MESSAGE}\n") == 2  # the whole report
    assert "During handling" not in result.stdout
