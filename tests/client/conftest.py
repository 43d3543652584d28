"""
Fixtures for the client tests: each scenario runs on `Client`, and on `AsyncClient` under
asyncio and under trio; and no retry ever really sleeps.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend(flavor: str) -> str:
    # The sync client runs inside the test's event loop too; it never awaits, so asyncio will do.
    return "trio" if flavor == "trio" else "asyncio"


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """
    The waits the drivers were asked for, in order; recorded instead of slept.
    """
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def asleep(seconds: float) -> None:
        slept.append(seconds)

    # The drivers' own modules: `time.sleep` for `Client`, `_sleep` (anyio) for `AsyncClient`.
    monkeypatch.setattr("amigochat_sdk._drivers.time.sleep", sleep)
    monkeypatch.setattr("amigochat_sdk._drivers._sleep", asleep)
    return slept
