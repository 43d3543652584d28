"""
What the SDK sends and parses, checked at the edge: header values, and JSON both ways.

Rule: an input that cannot go on the wire is refused before anything is sent, with an
`InvalidInputError` that names it and never shows its value (a header value may be the API
key). JSON from the server never raises anything but `ValueError`, however deep it nests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, overload

from ._constants import NotGiven
from ._exceptions import InvalidInputError

if TYPE_CHECKING:
    import httpx

__all__ = ["check_api_key", "check_headers", "dump_json", "parse_json", "to_timeout"]

# RFC 9110 token and field-value, as h11 enforces them: printable ASCII, inner spaces and tabs.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE = re.compile(r"(?:[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*)?")


def _fault(value: str) -> str | None:
    if _VALUE.fullmatch(value):
        return None
    if "\r" in value or "\n" in value:
        return "holds a line break (CR or LF; a key read from a file keeps its newline)"
    if not value.isascii():
        return "holds a character that is not ASCII"
    if value != value.strip(" \t"):
        return "starts or ends with whitespace"
    return "holds a control character"


def check_headers(headers: Mapping[str, Any], source: str) -> None:
    """
    Refuse, naming the header and `source` (`"extra_headers"`, ...), a name or value that
    cannot be sent.
    """
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise InvalidInputError(f"A header name in {source} is not a valid HTTP token")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if not isinstance(value, str):
            raise InvalidInputError(
                f"The header {name!r} in {source} is a {type(value).__name__}, not a string"
            )
        fault = _fault(value)
        if fault:
            raise InvalidInputError(f"The value of the header {name!r} in {source} {fault}")


def check_api_key(api_key: str) -> None:
    """Refuse an API key that cannot be sent as `authorization: Bearer <key>`."""
    if not isinstance(api_key, str):
        raise InvalidInputError(f"The API key is a {type(api_key).__name__}, not a string")
    fault = _fault(api_key)
    if fault:
        raise InvalidInputError(f"The API key {fault}; it was not sent")


def dump_json(value: object, what: str) -> str:
    """
    `value` as compact JSON, refusing what RFC 8259 cannot express (`NaN`, `Infinity`) and
    what cannot be encoded at all.
    """
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise InvalidInputError(
            f"{what} holds NaN or Infinity, which JSON cannot express"
        ) from None
    except (TypeError, RecursionError) as exc:
        raise InvalidInputError(f"{what} cannot be encoded as JSON: {exc}") from None


def parse_json(data: str | bytes) -> Any:
    """`json.loads`, raising only `ValueError`: a body nested too deep is not valid JSON here."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


@overload
def to_timeout(
    value: float | httpx.Timeout | NotGiven | None, default: httpx.Timeout
) -> httpx.Timeout: ...
@overload
def to_timeout(
    value: float | httpx.Timeout | NotGiven | None, default: None = None
) -> httpx.Timeout | None: ...
def to_timeout(
    value: float | httpx.Timeout | NotGiven | None, default: httpx.Timeout | None = None
) -> httpx.Timeout | None:
    """
    A user's timeout (seconds, an `httpx.Timeout`, `None` for none) as httpx's; `NOT_GIVEN`
    is `default`: the client's own for a call, the SDK's for a client.
    """
    import httpx

    if isinstance(value, NotGiven):
        return default
    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)
