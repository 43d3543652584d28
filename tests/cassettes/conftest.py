"""
Fixtures for the cassette tests: each scenario runs on `Client`, and on `AsyncClient` under
asyncio and under trio, replaying one cassette; see `recording.py` for the modes.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import vcr.cassette

from amigochat_sdk.testing import serve
from tests.cassettes.recording import (
    LIVE_API_KEY,
    LIVE_BASE_URL,
    PLACEHOLDER_URL,
    RECORD,
    SCENARIOS,
    Scenario,
    cassette_dir,
    make_vcr,
)
from tests.e2e.helpers import Api


@pytest.fixture
def anyio_backend(flavor: str) -> str:
    # A replayed sync client never waits, so running it inside asyncio costs nothing.
    return "trio" if flavor == "trio" else "asyncio"


@pytest.fixture
def source() -> str:
    """
    Where the cassette was recorded: `reference`, or `live` for tests parametrized with it.
    """
    return "reference"


class Recorded:
    """
    A scenario's client (`api`), its cassette, and where the cassette came from.
    """

    def __init__(self, scenario: Scenario, source: str, api: Api, cassette: Any) -> None:
        self.scenario = scenario
        self.source = source
        self.api = api
        self.cassette: vcr.cassette.Cassette = cassette

    @property
    def reference(self) -> bool:
        """Whether the answers are the reference server's, so exact content can be asserted."""
        return self.source == "reference"

    @property
    def api_key(self) -> str:
        key = self.api.client.api_key
        assert key is not None
        return key

    @property
    def base_url(self) -> str:
        return self.api.client.base_url

    def stored(self, index: int) -> dict[str, Any]:
        """The response of interaction `index` as the cassette holds it."""
        response: dict[str, Any] = self.cassette.responses[index]
        return response

    def stored_body(self, index: int) -> bytes:
        """The body of response `index` as the cassette holds it (vcrpy keeps text as `str`)."""
        body: str | bytes = self.stored(index)["body"]["string"]
        return body.encode() if isinstance(body, str) else body


OpenCassette = Callable[[str], contextlib.AbstractAsyncContextManager[Recorded]]


@pytest.fixture
def open_cassette(flavor: str, source: str, anyio_backend: str) -> OpenCassette:
    """
    `async with open_cassette("name") as recorded:` runs the body on the scenario's cassette:
    replayed (and checked to be fully played), or recorded when this item records.
    """

    @contextlib.asynccontextmanager
    async def open_(name: str) -> AsyncIterator[Recorded]:
        scenario = SCENARIOS[name]
        if source == "live" and not scenario.live:
            pytest.fail(f"scenario {name} is not marked live")
        path = cassette_dir(source) / f"{name}.yaml"
        records = RECORD == source and flavor == "sync"
        if RECORD == "live" and source == "reference":
            pytest.skip("recording live cassettes only")
        if not records and not path.exists():
            if source == "live":
                pytest.skip(f"no live cassette {path.name}: AMIGOCHAT_API_KEY=... scripts/record")
            pytest.fail(f"missing cassette {path}: run scripts/record")
        with contextlib.ExitStack() as stack:
            options: dict[str, Any] = {"max_retries": 2, "timeout": 10.0}
            if not records:
                recorder = make_vcr("none", None)
                options.update(base_url=PLACEHOLDER_URL, api_key=scenario.api_key)
            elif source == "reference":
                server = stack.enter_context(serve(**scenario.server))
                for spec in scenario.faults:
                    server.faults.push(spec)
                recorder = make_vcr("all", server.url)
                options.update(base_url=server.url, api_key=scenario.api_key)
            else:
                recorder = make_vcr("all", LIVE_BASE_URL)
                options.update(base_url=LIVE_BASE_URL, api_key=LIVE_API_KEY)
            # Each recorded interaction answers one request, in order: a retry needs two.
            cassette = stack.enter_context(
                recorder.use_cassette(str(path), allow_playback_repeats=False)
            )
            api = Api(flavor, **options)
            try:
                yield Recorded(scenario, source, api, cassette)
            finally:
                await api.close()
            if not records:
                played, held = cassette.play_count, len(cassette)
                assert cassette.all_played, f"{played} of {held} interactions were replayed"

    return open_


#: Run a test on its reference cassette and also, once someone recorded them, on its live one.
live_too = pytest.mark.parametrize(
    "source",
    ["reference", "live"] if RECORD == "live" or cassette_dir("live").is_dir() else ["reference"],
)
