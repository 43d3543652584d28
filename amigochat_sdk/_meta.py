"""
What a result knows about the HTTP exchange that brought it: `ResponseInfo`.

Rule: the information is kept beside a result, never in it. A pydantic model's fields are the
wire's, and its equality, copies and pickles must stay the wire's too: two equal completions
from two calls still compare equal, and a pickled completion carries no headers. So the info
lives in a table keyed by the result's identity, dropped when the result is.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ._exports import public

if TYPE_CHECKING:
    import httpx

__all__ = ["ResponseInfo", "attach", "response_info"]

T = TypeVar("T")


@dataclass(frozen=True)
class ResponseInfo:
    """
    The HTTP side of one call's result: the response that answered it, how many retries it
    took, and how long. On a `ChatCompletion`, `ImagesResponse` or `ParsedChatCompletion`
    through `response_info(result)` (or `result._request_id` alone, as openai-python spells
    it); on a stream as `stream.response_info`.
    """

    status_code: int
    """The answering response's HTTP status."""
    headers: httpx.Headers = field(repr=False)
    """The answering response's headers."""
    request_id: str | None
    """The server's id for the request (`x-request-id` or `request-id`), for support tickets."""
    retries: int
    """Retries before the answering attempt (0: the first attempt answered)."""
    elapsed: float
    """Seconds from the call's start to its result (for a stream: to its response's headers),
    retries and their waits included."""
    http_version: str
    """`HTTP/1.1` or `HTTP/2`."""
    url: str
    """The URL of the answering request."""
    http_response: httpx.Response = field(repr=False, compare=False)
    """The answering `httpx.Response` itself (its body was read by the SDK)."""


def request_id_of(headers: httpx.Headers) -> str | None:
    """The request id a server sets: `x-request-id`, else `request-id`."""
    found: str | None = headers.get("x-request-id") or headers.get("request-id")
    return found


# id(result) -> its info; a finalizer drops the entry with the result, so ids are never stale.
_INFO: dict[int, ResponseInfo] = {}


def attach(result: T, info: ResponseInfo) -> T:
    """Keep `info` beside `result` for as long as `result` lives; return `result`."""
    key = id(result)
    if key not in _INFO:
        weakref.finalize(result, _INFO.pop, key, None)
    _INFO[key] = info
    return result


def response_info(result: Any) -> ResponseInfo | None:
    """
    The `ResponseInfo` of a result the SDK returned (`ChatCompletion`, `ImagesResponse`,
    `ParsedChatCompletion`, `Stream`); `None` for anything else, or a copy of a result.
    """
    info = _INFO.get(id(result))
    if info is None:  # a stream keeps its own; a wire field of that name is not one
        own = getattr(result, "response_info", None)
        info = own if isinstance(own, ResponseInfo) else None
    return info


public(globals(), ["ResponseInfo", "response_info"])
