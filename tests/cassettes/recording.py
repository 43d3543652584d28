"""
How the cassettes are recorded, scrubbed and replayed; the scenarios they hold.

Modes (`AMIGOCHAT_RECORD`, read once at import, before the suite's fixture clears `AMIGOCHAT_*`):

- unset: replay only, offline (`record_mode="none"`): a request the cassette lacks fails.
- `reference` (or `1`): each scenario starts a fresh reference server on loopback, set up as the
  scenario says (server options, queued faults), and records into `reference/` (`"all"`).
- `live`: records the scenarios marked `live` against `AMIGOCHAT_BASE_URL` (default: the real
  service) with `AMIGOCHAT_API_KEY`, into `live/`.

Only the `sync` flavor records; the async flavors then replay what it wrote, so every recording
run also proves that `AsyncClient` sends the very same requests. `scripts/record` sets the mode.

Scrubbing makes cassettes secret-free and stable, whoever records them and on whatever port:
the base URL becomes `http://amigochat.test/v1` in URIs and bodies, the `authorization`,
`cookie` and `user-agent` request headers are dropped, `x-device-uuid` and `chatId` become fixed
placeholders (they are random per call, and checked in the tests on what was really sent),
`date` and `set-cookie` response headers are dropped, and `created` timestamps are fixed.
Matching is on method, URL and the JSON body after the same scrubbing: a change to what the SDK
sends fails the replay until the cassettes are recorded again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vcr
from vcr.request import Request as VcrRequest

from amigochat_sdk import DEFAULT_BASE_URL

HERE = Path(__file__).parent
PLACEHOLDER_URL = "http://amigochat.test/v1"
PLACEHOLDER_HOST = "amigochat.test"
PLACEHOLDER_UUID = "00000000-0000-4000-8000-000000000000"
FIXED_CREATED = b'"created":1700000000'

#: The keys the recorded clients use; none may appear in a cassette.
API_KEY = "sk-amigochat-cassette-client-key"
SERVER_KEY = "sk-amigochat-cassette-server-key"
WRONG_KEY = "sk-amigochat-cassette-wrong-key"

_MODE = os.environ.get("AMIGOCHAT_RECORD", "").strip().lower()
RECORD: str | None = {"": None, "0": None, "1": "reference", "reference": "reference"}.get(
    _MODE, _MODE
)
if RECORD not in (None, "reference", "live"):
    raise RuntimeError(f"AMIGOCHAT_RECORD must be unset, 1, reference or live, not {_MODE!r}")
LIVE_BASE_URL = (os.environ.get("AMIGOCHAT_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
LIVE_API_KEY = os.environ.get("AMIGOCHAT_API_KEY") or None
if RECORD == "live" and LIVE_API_KEY is None:
    raise RuntimeError("recording live cassettes needs AMIGOCHAT_API_KEY")

SOURCES = ("reference", "live")


def cassette_dir(source: str) -> Path:
    return HERE / source


@dataclass(frozen=True)
class Scenario:
    """
    One cassette: how to set up the reference server for recording it.

    `server` are `ServerOptions` fields, `faults` are pushed to the server's queue in order,
    `api_key` is the client's key, and `live` says the real service can answer it too.
    """

    name: str
    server: dict[str, Any] = field(default_factory=dict)
    faults: tuple[str, ...] = ()
    api_key: str = API_KEY
    live: bool = False


SCENARIOS = {
    scenario.name: scenario
    for scenario in [
        Scenario("chat_completion", live=True),
        Scenario("chat_stream_usage", live=True),
        Scenario("chat_tool_call_stream"),
        Scenario("chat_n2_stream"),
        Scenario("chat_wrapped_message", server={"json_shape": "wrapped"}),
        Scenario("chat_sse_for_non_stream", server={"json_shape": "sse"}),
        Scenario("image_url_and_fetch", live=True),
        Scenario("image_b64_json"),
        Scenario("image_url_shape", server={"image_shape": "image-url"}),
        Scenario("error_400_validation"),
        Scenario("error_404_unknown_model"),
        Scenario("auth_accepted", server={"api_key": SERVER_KEY}, api_key=SERVER_KEY),
        Scenario("auth_rejected_401", server={"api_key": SERVER_KEY}, api_key=WRONG_KEY),
        Scenario("retry_429_then_201", faults=("status=429;retry-after=0",)),
    ]
}

# ---------------------------------------------------------------------------- scrubbing

_CHAT_ID = re.compile(rb'"chatId":"[^"]*"')
_CREATED = re.compile(rb'"created":\s*[0-9]+')
_DROPPED_REQUEST_HEADERS = ("authorization", "cookie", "user-agent")
_DROPPED_RESPONSE_HEADERS = frozenset({"date", "set-cookie"})


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


class Scrubber:
    """
    Rewrites what vcrpy stores (and, for requests, what it matches): see the module docstring.
    `recorded_base` is the base URL the client really used, `None` when only replaying.
    """

    def __init__(self, recorded_base: str | None) -> None:
        self.rewrites: list[tuple[str, str]] = []
        if recorded_base is not None:
            placeholder_origin = _origin(PLACEHOLDER_URL)
            self.rewrites = [
                (recorded_base, PLACEHOLDER_URL),
                (_origin(recorded_base), placeholder_origin),
            ]

    def text(self, value: str) -> str:
        for old, new in self.rewrites:
            value = value.replace(old, new)
        return value

    def data(self, value: bytes) -> bytes:
        for old, new in self.rewrites:
            value = value.replace(old.encode(), new.encode())
        return value

    def request(self, request: VcrRequest) -> VcrRequest:
        request.uri = self.text(request.uri)
        for name in _DROPPED_REQUEST_HEADERS:
            request.headers.pop(name, None)
        if "host" in request.headers:
            request.headers["host"] = PLACEHOLDER_HOST
        if "x-device-uuid" in request.headers:
            request.headers["x-device-uuid"] = PLACEHOLDER_UUID
        body = request.body
        if isinstance(body, bytes):
            # A UUID replaces a UUID: `content-length` stays right.
            request.body = _CHAT_ID.sub(b'"chatId":"' + PLACEHOLDER_UUID.encode() + b'"', body)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        body = response["body"]["string"]
        if isinstance(body, str):
            body = body.encode()
        body = _CREATED.sub(FIXED_CREATED, self.data(body))
        headers: dict[str, list[str]] = {}
        for name, values in response["headers"].items():
            if name.lower() in _DROPPED_RESPONSE_HEADERS:
                continue
            if name.lower() == "content-length":
                values = [str(len(body))]
            headers[name] = [self.text(value) for value in values]
        return {**response, "headers": headers, "body": {**response["body"], "string": body}}


def make_vcr(record_mode: str, recorded_base: str | None) -> vcr.VCR:
    scrubber = Scrubber(recorded_base)
    before_request: Callable[[VcrRequest], VcrRequest] = scrubber.request
    return vcr.VCR(
        serializer="yaml",
        record_mode=record_mode,
        match_on=["method", "scheme", "host", "port", "path", "query", "body"],
        before_record_request=before_request,
        before_record_response=scrubber.response,
        decode_compressed_response=True,
    )
