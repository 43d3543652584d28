"""
`.with_raw_response`: the same calls, returning the HTTP response beside the parsed result.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import httpx
from typing_extensions import ParamSpec

from .._exports import public
from .._meta import ResponseInfo, response_info

__all__ = ["RawResponse", "araw", "raw"]

T = TypeVar("T")
P = ParamSpec("P")


class RawResponse(Generic[T]):
    """
    What a call through `with_raw_response` returns: the response's status, headers and
    request id, how many retries the call took and how long, and `parse()` for the result
    (a `ChatCompletion`, a `Stream`, an `ImagesResponse`).

    ```python
    raw = client.chat.completions.with_raw_response.create(model=m, messages=msgs)
    print(raw.request_id, raw.retries, raw.headers.get("x-ratelimit-remaining"))
    completion = raw.parse()
    ```
    """

    def __init__(self, value: T, info: ResponseInfo) -> None:
        self._value = value
        self.info = info
        """Everything below, as one `ResponseInfo`."""

    def parse(self) -> T:
        """The result the plain call returns."""
        return self._value

    @property
    def http_response(self) -> httpx.Response:
        """The answering `httpx.Response` (its body is read by `parse()`'s result)."""
        return self.info.http_response

    @property
    def headers(self) -> httpx.Headers:
        """The answering response's headers."""
        return self.info.headers

    @property
    def status_code(self) -> int:
        """The answering response's HTTP status."""
        return self.info.status_code

    @property
    def request_id(self) -> str | None:
        """The server's id for the request (`x-request-id`)."""
        return self.info.request_id

    @property
    def retries(self) -> int:
        """Retries the call took before the answering attempt."""
        return self.info.retries

    @property
    def elapsed(self) -> float:
        """Seconds from the call's start to its result (a stream: to its headers)."""
        return self.info.elapsed

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] request_id={self.request_id!r}>"


def _wrap(value: T) -> RawResponse[T]:
    info = response_info(value)
    assert info is not None  # every call result carries its info
    return RawResponse(value, info)


def raw(method: Callable[P, T]) -> Callable[P, RawResponse[T]]:
    """`method`, returning a `RawResponse` of its result."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        return _wrap(method(*args, **kwargs))

    return call


def araw(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """The async `method`, returning a `RawResponse` of its result."""

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        return _wrap(await method(*args, **kwargs))

    return call


public(globals(), ["RawResponse"])
