"""
Every exception the SDK raises, and the one place that turns an error response into one.

Rule: only `make_status_error` picks a status error class (from `STATUS_ERRORS`); the text of
a message comes from `_messages.py`. Every message passes through `redact`, so no token ever
reaches a message, and no message carries more than a line of server text. Every exception
pickles (to cross a process pool) without the request's credentials.

```
AmigoChatError
├── InvalidInputError                       also a ValueError; raised before anything is sent
├── StructuredOutputError                   no reply validated, repairs included
├── LengthFinishReasonError                 a typed answer cut by `finish_reason: "length"`
├── ContentFilterFinishReasonError          a typed answer stopped by the content filter
├── ToolRunError
│   ├── MaxStepsExceededError               the tool runner hit `max_steps`
│   └── ToolExecutionError                  a tool raised, with `tool_errors="raise"`
├── MissingExtraError                       also an ImportError; an optional extra is missing
├── ClientClosedError                       also a RuntimeError; a call after `close()`
└── APIError
    ├── APIConnectionError
    │   └── APITimeoutError
    ├── APIStatusError
    │   ├── BadRequestError                 400
    │   ├── AuthenticationError             401
    │   ├── PermissionDeniedError           403
    │   │   └── CloudflareBlockedError      Cloudflare HTML block page, any status
    │   ├── NotFoundError                   404
    │   ├── NotAcceptableError              406
    │   ├── ConflictError                   409
    │   ├── UnprocessableEntityError        422
    │   ├── RateLimitError                  429
    │   │   └── QuotaExceededError          "balance is not enough", any status
    │   └── InternalServerError             5xx
    ├── APIResponseValidationError
    ├── APIDecodeError
    └── APIStreamError
        ├── StreamInterruptedError
        ├── StreamServerError
        └── StreamDecodeError               also an APIDecodeError
```
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from ._exports import public
from ._messages import (
    cloudflare_block,
    error_from_event,
    extract_message,
    is_quota_message,
    quota_reset,
    ray_id,
    redact,
    truncate,
)
from ._retry import parse_retry_after

__all__ = [
    "STATUS_ERRORS",
    "APIConnectionError",
    "APIDecodeError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AmigoChatError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "CloudflareBlockedError",
    "ConflictError",
    "ContentFilterFinishReasonError",
    "InternalServerError",
    "InvalidInputError",
    "LengthFinishReasonError",
    "MaxStepsExceededError",
    "MissingExtraError",
    "NotAcceptableError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "StreamDecodeError",
    "StreamInterruptedError",
    "StreamServerError",
    "StructuredOutputError",
    "ToolExecutionError",
    "ToolRunError",
    "UnprocessableEntityError",
    "cloudflare_error",
    "make_status_error",
    "status_error_class",
]


class AmigoChatError(Exception):
    """Root of everything the SDK raises: `except AmigoChatError` catches them all."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments defeat `Exception`'s pickling (it calls `cls(*args)`), and a
        # request's headers hold the API key: rebuild from `args` and cleaned attributes.
        state = {name: _picklable(value) for name, value in self.__dict__.items()}
        return _rebuild, (type(self), self.args), state


class InvalidInputError(AmigoChatError, ValueError):
    """
    Raised before anything is sent, for an input that cannot go on the wire: a header value
    with a line break or a non-ASCII character (the API key included), `extra_body` with `NaN`,
    an image with neither `url` nor `b64_json`, a parameter the request model rejects (in
    `errors`). The message names the input, never its value.
    """

    def __init__(self, message: str, *, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.errors: list[Any] = errors or []  # pydantic's, without the values


def _rebuild(cls: type[AmigoChatError], args: tuple[Any, ...]) -> AmigoChatError:
    error = cls.__new__(cls, *args)
    Exception.__init__(error, *args)
    return error


# Credentials (and what a server sets with them) never travel in a pickle.
_PRIVATE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


# A copied response holds its decoded body: the framing headers no longer describe it.
_FRAMING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _safe_headers(
    headers: httpx.Headers, skip: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    drop = _PRIVATE_HEADERS | skip
    return [(k, redact(v)) for k, v in headers.items() if k.lower() not in drop]


def _safe_request(request: httpx.Request) -> httpx.Request:
    return httpx.Request(
        request.method, redact(str(request.url)), headers=_safe_headers(request.headers)
    )


def _picklable(value: object, depth: int = 0) -> object:
    """
    `value` with the request and response replaced by copies free of credentials, and the
    server's text (bodies, errors) redacted: a server may echo the key it was sent.
    """
    if isinstance(value, str):
        return redact(value)
    if depth < 100 and isinstance(value, (list, tuple)):
        return type(value)(_picklable(item, depth + 1) for item in value)
    if depth < 100 and isinstance(value, dict):
        return {key: _picklable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, httpx.Request):
        return _safe_request(value)
    if isinstance(value, httpx.Response):
        request = _request_of(value)
        content = getattr(value, "_content", None)  # only a body already read travels
        return httpx.Response(
            value.status_code,
            headers=_safe_headers(value.headers, _FRAMING_HEADERS),
            content=content,
            request=None if request is None else _safe_request(request),
        )
    return value


class MissingExtraError(AmigoChatError, ImportError):
    """
    A feature needs an optional extra that is not installed; the message names the `pip
    install` that brings it. Also an `ImportError`, as the missing import it stands for.
    """


class ClientClosedError(AmigoChatError, RuntimeError):
    """A call on a client after its `close()` (or the end of its `with` block)."""


class APIError(AmigoChatError):
    """
    Base of the errors about one API call; not raised itself.

    `message` is a redacted one-line summary, `request` the request sent (when known) and `body`
    the parsed response body: the JSON value, else the text, else `None`.
    """

    def __init__(
        self, message: str, *, request: httpx.Request | None = None, body: object = None
    ) -> None:
        # Redact here as well: callers build messages from server text and exception strings.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body


class APIConnectionError(APIError):
    """Raised when no response arrived: the connection failed or dropped first."""

    def __init__(self, message: str = "", *, request: httpx.Request | None = None) -> None:
        timed_out = isinstance(self, APITimeoutError)
        default = "Request timed out." if timed_out else "Connection error."
        super().__init__(message or default, request=request)


class APITimeoutError(APIConnectionError):
    """Raised when a connect, read or total timeout expired before a response arrived."""


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a Response built by hand has no request
        return None


class APIStatusError(APIError):
    """
    Raised for an error status with no more specific class (see `STATUS_ERRORS`).

    `request_id` comes from the `x-request-id` or `request-id` header, `retry_after` (seconds)
    from `retry-after-ms` or `retry-after`.
    """

    def __init__(self, message: str, *, response: httpx.Response, body: object = None) -> None:
        super().__init__(message, request=_request_of(response), body=body)
        self.response = response
        self.status_code = response.status_code
        headers = response.headers
        self.request_id: str | None = headers.get("x-request-id") or headers.get("request-id")
        self.retry_after = parse_retry_after(headers, time.time())


class BadRequestError(APIStatusError):
    """Raised for a 400: the server rejected the request's content."""


class AuthenticationError(APIStatusError):
    """Raised for a 401: the API key or token is missing, wrong or expired."""


class PermissionDeniedError(APIStatusError):
    """Raised for a 403: the request is refused."""


class CloudflareBlockedError(PermissionDeniedError):
    """
    Raised when Cloudflare's bot protection answers with an HTML block or challenge page: a 403
    HTML page with a `cf-ray` header, or a known block page at any status.
    """

    @property
    def ray_id(self) -> str | None:
        """Cloudflare's id for this block, from the `cf-ray` header or else the page."""
        page = self.body if isinstance(self.body, str) else ""
        return ray_id(page, self.response.headers.get("cf-ray", ""))


class NotFoundError(APIStatusError):
    """Raised for a 404: a wrong base URL, path or model."""


class NotAcceptableError(APIStatusError):
    """Raised for a 406: AmigoChat's "not implemented" for a request it does not support."""


class ConflictError(APIStatusError):
    """Raised for a 409, once retries are spent."""


class UnprocessableEntityError(APIStatusError):
    """Raised for a 422: the request is well formed but invalid."""


class RateLimitError(APIStatusError):
    """Raised for a 429 once retries are spent, or at once if `retry_after` is too long."""


class QuotaExceededError(RateLimitError):
    """
    Raised, whatever the status, for the daily quota message ("your balance is not enough to
    make the request, wait until 12 UTC"); never retried. `resets_at` is the next 12:00 UTC
    after the response's `Date` (or now), as an aware datetime.
    """

    def __init__(self, message: str, *, response: httpx.Response, body: object = None) -> None:
        super().__init__(message, response=response, body=body)
        self.resets_at = quota_reset(response)


class InternalServerError(APIStatusError):
    """Raised for a 5xx once retries are spent."""


class APIResponseValidationError(APIError):
    """Raised when a 2xx body is valid JSON but not in the expected shape."""

    def __init__(
        self,
        message: str = "Data returned by the API is not in the expected shape.",
        *,
        response: httpx.Response,
        body: object,
    ) -> None:
        super().__init__(message, request=_request_of(response), body=body)
        self.response = response
        self.status_code = response.status_code


class APIDecodeError(APIError):
    """
    Raised for bytes that cannot be decoded: malformed JSON in a body or an event, or an event
    over the size limit. `data` holds the offending text; the message shows its first 500 chars.
    """

    def __init__(
        self, message: str, *, data: str | bytes = "", request: httpx.Request | None = None
    ) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        shown = f"{message}: {truncate(text, 500)!r}" if text else message
        super().__init__(shown, request=request)
        self.data = text


class APIStreamError(APIError):
    """
    Raised when something goes wrong after a stream started delivering. It carries what was
    received: `text` (all content so far), `chunks` (the last chunk objects, up to 32: a stream
    keeps its content, not every chunk) and `partial` (everything received, assembled into a
    completion, when the caller sets one).
    """

    def __init__(
        self,
        message: str,
        *,
        text: str = "",
        chunks: list[Any] | None = None,
        partial: object | None = None,
        request: httpx.Request | None = None,
    ) -> None:
        # Not `super()`: in StreamDecodeError's MRO that would be `APIDecodeError.__init__`.
        APIError.__init__(self, message, request=request)
        self.text = text
        self.chunks: list[Any] = [] if chunks is None else chunks
        self.partial = partial


class StreamInterruptedError(APIStreamError):
    """
    Raised when a stream ends early: the connection dropped, it stayed idle too long, or it hit
    EOF before `data: [DONE]` while a choice had no `finish_reason`.
    """


class StreamServerError(APIStreamError):
    """
    Raised when the server reports an error mid-stream (`event: error`, or a chunk holding an
    `error`). `error` is that error object as a dict; `code` its code, if any. The message
    defaults to one built by `error_from_event`.
    """

    def __init__(
        self,
        message: str = "",
        *,
        error: object,
        text: str = "",
        chunks: list[Any] | None = None,
        partial: object | None = None,
        request: httpx.Request | None = None,
    ) -> None:
        reason, self.code = error_from_event(error)
        message = message or f"Error in stream: {reason}"
        super().__init__(message, text=text, chunks=chunks, partial=partial, request=request)
        inner = error.get("error", error) if isinstance(error, dict) else error
        self.error: dict[str, Any] = inner if isinstance(inner, dict) else {"message": reason}


class StreamDecodeError(APIStreamError, APIDecodeError):
    """Raised for malformed JSON or an oversized event mid-stream: both parents apply."""

    def __init__(
        self,
        message: str,
        *,
        data: str | bytes = "",
        text: str = "",
        chunks: list[Any] | None = None,
        partial: object | None = None,
        request: httpx.Request | None = None,
    ) -> None:
        APIDecodeError.__init__(self, message, data=data, request=request)
        self.text, self.chunks, self.partial = text, [] if chunks is None else chunks, partial


class _Carries:
    """An error of a typed call, with what the call had as attributes (given by keyword)."""

    completion: Any = None

    def __init__(self, message: str, **attributes: Any) -> None:
        self.message = redact(message)
        Exception.__init__(self, self.message)  # type: ignore[arg-type]
        self.__dict__.update(attributes)


class StructuredOutputError(_Carries, AmigoChatError):
    """
    Raised by `parse()` when no reply validated, repairs included: `raw` is the last reply's
    text, `errors` pydantic's errors for it (empty if it was not JSON), `attempts` every attempt
    (dicts with `strategy`, `raw`, `errors`), `completion` the last reply.
    """

    raw: str
    errors: list[Any]
    attempts: list[dict[str, Any]]


class LengthFinishReasonError(_Carries, AmigoChatError):
    """Raised by typed calls for a reply cut by `finish_reason: "length"`; `completion` is it."""


class ContentFilterFinishReasonError(_Carries, AmigoChatError):
    """Raised by typed calls for a reply the content filter stopped; `completion` is it."""


class ToolRunError(_Carries, AmigoChatError):
    """Base of the tool runner's errors; `messages` is the transcript so far, as dicts."""

    messages: list[dict[str, Any]]


class MaxStepsExceededError(ToolRunError):
    """Raised when the model still asks for tools after `max_steps` requests (`completion`)."""


class ToolExecutionError(ToolRunError):
    """Raised for a tool that raised (the `__cause__`), with `tool_errors="raise"`."""

    name: str
    tool_call_id: str


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    406: NotAcceptableError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """Return the class for an error status: `STATUS_ERRORS`, then 5xx, then `APIStatusError`."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    return InternalServerError if 500 <= status <= 599 else APIStatusError


def make_status_error(response: httpx.Response, body: bytes) -> APIStatusError:
    """
    Build the exception for an error response whose body has been read as `body`.

    The quota message wins over the status; a Cloudflare block page (or a 403 HTML page from
    Cloudflare) gives `CloudflareBlockedError`; otherwise the class comes from the status.
    """
    status = response.status_code
    headers = response.headers
    content_type = headers.get("content-type")
    message, parsed = extract_message(body, content_type)
    prefix = f"Error code: {status} - "
    if not message:
        reason = response.reason_phrase
        message = f"{reason} (empty body)" if reason else "empty body"
    # Search the whole body too: the message may sit in a field no known shape names.
    if is_quota_message(message) or is_quota_message(body.decode("utf-8", "replace")):
        message += f" (resets {quota_reset(response):%Y-%m-%d %H:%M} UTC)"
        return QuotaExceededError(prefix + message, response=response, body=parsed)
    blocked = cloudflare_block(parsed, status, headers)
    if blocked is not None:
        return CloudflareBlockedError(prefix + blocked, response=response, body=parsed)
    return status_error_class(status)(prefix + message, response=response, body=parsed)


def cloudflare_error(response: httpx.Response, body: bytes) -> CloudflareBlockedError | None:
    """
    The error for a Cloudflare block or challenge page, whatever the status (a 200 included),
    else `None`: for bodies that are not the answer a flow expected.
    """
    _, parsed = extract_message(body, response.headers.get("content-type"))
    blocked = cloudflare_block(parsed, response.status_code, response.headers)
    if blocked is None:
        return None
    prefix = f"Error code: {response.status_code} - "
    return CloudflareBlockedError(prefix + blocked, response=response, body=parsed)


public(globals(), __all__)
