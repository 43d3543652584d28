"""Running mypy on a typing test file, as a user's type checker would see it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def assert_mypy_strict_accepts(path: str) -> None:
    """
    `mypy --strict` passes on `path`: every `assert_type` holds, and every `# type: ignore[...]`
    is needed (strict mode reports unused ones), so each of those lines is a type error.
    """
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", path],
        cwd=REPO,  # the project's mypy settings (pydantic plugin, python_version) apply
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
