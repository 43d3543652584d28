"""
`scripts/demo` runs the SDK's main job to the end, offline, and prints its summary.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.e2e


def test_demo_runs_to_completion() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIGOCHAT_")}
    result = subprocess.run(
        ["sh", "scripts/demo"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Traceback" not in result.stderr
    for heading in ("A completion", "streamed reply", "retries by itself", "async streams"):
        assert heading in out
    assert out.count('You said: "Question') == 5  # the five concurrent replies
    assert "StreamServerError" in out  # the broken stream, caught
    summary = out[out.index("== Summary") :]
    assert "requests served:     12" in summary
    assert "images saved:        1 (" in summary
    assert out.rstrip().endswith("Demo complete.")
