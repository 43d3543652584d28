"""
A smoke test of the benchmark suite (`scripts/bench`): every case runs once, tiny, against the
real benchmark server in its own process. It checks that every client received every chunk and
every reply, never how fast: timing belongs to BENCHMARKS.md, not to a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks._measure import count_events
from benchmarks._traffic import stream_pieces

ROOT = Path(__file__).resolve().parent.parent
CHUNKS, REQUESTS, STREAMS, PER_STREAM = 300, 20, 10, 20
#: The report's targets: the server's headroom, streaming sync and async, request overhead,
#: concurrency rate, peak and added memory, import time.
TARGETS = 8


def test_count_events_is_right_however_the_stream_is_split() -> None:
    body = b"".join(stream_pieces(5))  # 5 chunks and [DONE]: 6 events
    for cut in range(len(body) + 1):
        total, last = 0, 0
        for read in (body[:cut], body[cut:]):
            found, last = count_events(read, last)
            total += found
        assert total == 6, cut


@pytest.mark.e2e
def test_every_case_receives_everything(tmp_path: Path) -> None:
    pytest.importorskip("openai")
    pytest.importorskip("httpx_sse")
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "benchmarks", "--rounds", "1", "--imports", "1"]
    command += ["--chunks", str(CHUNKS), "--requests", str(REQUESTS)]
    command += ["--streams", f"{STREAMS}x{PER_STREAM}", "--json", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads(out.read_text())
    assert results["errors"] == []
    expected = {"stream": CHUNKS, "requests": REQUESTS, "concurrency": STREAMS * PER_STREAM}
    listed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(results["samples"]) == sorted(listed)
    for case, samples in results["samples"].items():
        assert len(samples) == 1, case
        group = case.split(".")[0]
        if group == "import":
            assert samples[0]["value"] > 0, case
        else:
            assert samples[0]["count"] == expected[group], case
    # Whether a target is met depends on this machine's speed, which a test does not judge; what
    # it can hold the report to is that every target was measured (no SKIP) and that each
    # verdict is the one its own value and limit give: "server ..." and "<=" targets are maxima.
    checks = results["checks"]
    assert len(checks) == TARGETS, [check["name"] for check in checks]
    for check in checks:
        at_most = check["name"].startswith("server ") or "<=" in check["name"]
        met = check["value"] <= check["limit"] if at_most else check["value"] >= check["limit"]
        assert check["status"] == ("PASS" if met else "FAIL"), check
