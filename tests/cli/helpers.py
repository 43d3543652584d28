"""
Run the `amigochat` command as a user would: a child process with real pipes or a terminal.
"""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

from tests.subprocesses import restore_sigint

#: `python -m amigochat_sdk` and the installed console script: the two ways in.
MODULE = [sys.executable, "-m", "amigochat_sdk"]
SCRIPT = [str(Path(sys.executable).with_name("amigochat"))]

REPLY = 'You said: "{}". This conversation has {} message(s).'


def env(**extra: str) -> dict[str, str]:
    """The environment without the developer's `AMIGOCHAT_*`, plus `extra`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AMIGOCHAT_")}
    return {**clean, **extra}


def run(
    *args: str,
    stdin: str = "",
    extra_env: dict[str, str] | None = None,
    via: list[str] = MODULE,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the command to its end, stdin a pipe holding `stdin`."""
    return subprocess.run(
        [*via, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        env=env(**(extra_env or {})),
        cwd=cwd,
    )


def spawn(*args: str, **options: Any) -> subprocess.Popen[bytes]:
    """Start the command with stdout and stderr as pipes; stdin is empty."""
    return subprocess.Popen(
        [*MODULE, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
        preexec_fn=restore_sigint,
        **options,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """One `error: ...` line on stderr, the exit code, and no traceback; returns the line."""
    assert result.returncode == code, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def _take_the_terminal() -> None:
    """
    A `preexec_fn`: make the pseudo-terminal on stderr the child's controlling terminal (the
    child already leads a new session), so Ctrl-C typed on it is a SIGINT, as for a person.
    """
    restore_sigint()
    fcntl.ioctl(2, termios.TIOCSCTTY, 0)


class Terminal:
    """
    The command on a pseudo-terminal (stdin, stdout and stderr), for what only a tty triggers.
    It is the child's controlling terminal: `send("\x03")` is Ctrl-C, `send("\x04")` Ctrl-D.
    """

    def __init__(self, *args: str, stderr_only: bool = False) -> None:
        self.master, slave = os.openpty()
        streams: dict[str, Any] = {"stderr": slave}
        if stderr_only:
            streams.update(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        else:
            streams.update(stdin=slave, stdout=slave)
        self.proc = subprocess.Popen(
            [*MODULE, *args],
            env=env(),
            start_new_session=True,
            preexec_fn=_take_the_terminal,
            **streams,
        )
        os.close(slave)
        self.seen = b""

    def read(self, timeout: float) -> bytes:
        """What the terminal shows within `timeout` seconds (less once the child is gone)."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: the child closed its end
            data = b""
        self.seen += data
        return data

    def expect(self, text: str, timeout: float = 10.0) -> None:
        """Wait until `text` has appeared since the last `expect`."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not shown; the terminal shows {self.seen!r}")
            if not self.read(0.1) and self.proc.poll() is not None:
                self.read(0)
                if text.encode() not in self.seen:
                    raise AssertionError(f"exited before showing {text!r}: {self.seen!r}")
        self.seen = self.seen[self.seen.index(text.encode()) + len(text) :]

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def interrupt_at_prompt(self) -> None:
        """
        Ctrl-C at a prompt just shown, as a person presses it: not within the microseconds
        between readline printing the prompt and waiting for a key. CPython's readline loop
        sees a SIGINT that lands in that gap only at the next key (it checks signals when its
        `select` is interrupted, and this one came before it), which no person can hit.
        """
        time.sleep(0.3)
        self.send("\x03")

    def wait(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.read(0.05)
        return self.proc.wait(timeout=1)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        # Leaving `Popen` closes the pipe it made (`stdout` with `stderr_only`) and reaps it.
        with self.proc:
            pass
        os.close(self.master)
