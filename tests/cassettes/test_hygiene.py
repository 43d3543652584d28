"""
The cassettes hold no secret and no trace of where they were recorded, and match the scenarios.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from vcr.request import Request as VcrRequest

from tests.cassettes.recording import (
    API_KEY,
    HERE,
    LIVE_API_KEY,
    PLACEHOLDER_URL,
    PLACEHOLDER_UUID,
    RECORD,
    SCENARIOS,
    SERVER_KEY,
    WRONG_KEY,
    Scrubber,
    cassette_dir,
)

# The files are listed at collection, before a recording run writes them: `scripts/record`
# checks them in a second, replay-only run.
pytestmark = pytest.mark.skipif(RECORD is not None, reason="checked after recording")

FILES = sorted(HERE.rglob("*.yaml"))
FORBIDDEN = ["Bearer ", "sk-", API_KEY, SERVER_KEY, WRONG_KEY, "127.0.0.1", "localhost"]
if LIVE_API_KEY:
    FORBIDDEN.append(LIVE_API_KEY)


def interactions(path: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = yaml.safe_load(path.read_text())["interactions"]
    return found


def test_every_scenario_has_its_cassette_and_no_other() -> None:
    names = {path.stem for path in cassette_dir("reference").glob("*.yaml")}
    assert names == set(SCENARIOS)
    live = {path.stem for path in cassette_dir("live").glob("*.yaml")}
    assert live <= {name for name, scenario in SCENARIOS.items() if scenario.live}


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_no_secret_in_the_file(path: Path) -> None:
    text = path.read_text()
    assert "authorization" not in text.lower()
    for needle in FORBIDDEN:
        assert needle not in text, f"{needle!r} in {path.name}"


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_requests_are_scrubbed(path: Path) -> None:
    recorded = interactions(path)
    assert recorded, f"{path.name} holds no interaction"
    for interaction in recorded:
        request = interaction["request"]
        headers = {name.lower(): values for name, values in request["headers"].items()}
        assert "user-agent" not in headers and "cookie" not in headers
        if request["uri"].startswith(PLACEHOLDER_URL):
            assert headers["host"] == ["amigochat.test"]
            assert headers["x-device-uuid"] == [PLACEHOLDER_UUID]
        else:  # an image on another host (live recordings only): fetched anonymously
            assert path.parent.name == "live" and "x-device-uuid" not in headers
        if request["body"]:
            assert json.loads(request["body"])["chatId"] == PLACEHOLDER_UUID
        response = interaction["response"]
        assert "date" not in response["headers"] and "set-cookie" not in response["headers"]


def test_scrubber_removes_secrets_and_the_recording_host() -> None:
    scrubber = Scrubber("http://127.0.0.1:5555/v1")
    body = b'{"chatId":"7944bc8b-8340-4115-867b-195642bfd695","model":"m"}'
    request = VcrRequest(
        "POST",
        "http://127.0.0.1:5555/v1/chat/completions",
        body,
        {
            "host": "127.0.0.1:5555",
            "Authorization": f"Bearer {API_KEY}",
            "user-agent": "amigochat-sdk/1 python/3",
            "x-device-uuid": "d983bcc4-883e-494a-a765-79d7ac666e5c",
        },
    )
    scrubbed = scrubber.request(request)
    assert scrubbed.uri == f"{PLACEHOLDER_URL}/chat/completions"
    assert dict(scrubbed.headers) == {"host": "amigochat.test", "x-device-uuid": PLACEHOLDER_UUID}
    assert scrubbed.body == b'{"chatId":"' + PLACEHOLDER_UUID.encode() + b'","model":"m"}'
    response = {
        "status": {"code": 201, "message": "Created"},
        "headers": {"date": ["Mon"], "content-length": ["66"], "set-cookie": ["s=1"]},
        "body": {"string": b'{"url":"http://127.0.0.1:5555/v1/files/a.png","created":1795901187}'},
    }
    stored = scrubber.response(response)
    expected = b'{"url":"http://amigochat.test/v1/files/a.png","created":1700000000}'
    assert stored["body"]["string"] == expected
    assert stored["headers"] == {"content-length": [str(len(expected))]}
