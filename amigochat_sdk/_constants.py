"""
Defaults, environment variable names and the `NOT_GIVEN` sentinel, in one place.
"""

from __future__ import annotations

import enum
from typing import Final, Literal

import httpx

from ._exports import public

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_DEVICE_LANGUAGE",
    "DEFAULT_DEVICE_PLATFORM",
    "DEFAULT_DEVICE_VERSION",
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_TIMEOUT",
    "MAX_BODY_SIZE",
    "NOT_GIVEN",
    "NotGiven",
]

API_KEY_ENV: Final = "AMIGOCHAT_API_KEY"
BASE_URL_ENV: Final = "AMIGOCHAT_BASE_URL"
DEFAULT_BASE_URL: Final = "https://api.amigochat.io/v1"
DEFAULT_MAX_RETRIES: Final = 2
#: A server-asked wait longer than this many seconds is not slept on.
DEFAULT_MAX_RETRY_AFTER: Final = 60.0
#: The most bytes one server-sent event may hold.
DEFAULT_MAX_EVENT_SIZE: Final = 16 * 1024 * 1024

#: Connect fast, but let a model think: `read` is the longest gap between two network reads.
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=10.0, read=300.0, write=30.0, pool=30.0)

DEFAULT_DEVICE_PLATFORM: Final = "web"
DEFAULT_DEVICE_VERSION: Final = "1.0.45"
DEFAULT_DEVICE_LANGUAGE: Final = "en-US"

#: The most a non-streamed body may hold before it is refused (a bad server must not eat RAM).
MAX_BODY_SIZE: Final = 64 * 1024 * 1024


class NotGiven(enum.Enum):
    """
    The type of `NOT_GIVEN`: "use the client's setting", where `None` means "off".
    """

    NOT_GIVEN = enum.auto()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


NOT_GIVEN: Final = NotGiven.NOT_GIVEN


public(globals(), ["NotGiven"])
