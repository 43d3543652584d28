"""
Every exception the SDK raises, and the one place that turns an error response into one.

Rule: only `make_status_error` picks a status error class (from `STATUS_ERRORS`), and only
`extract_message` reads an error body. Every message passes through `redact`, so no token ever
reaches a message, and no message carries more than a line of server text.

```
AmigoChatError
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

import datetime as dt
import email.utils
import html
import json
import re
import time
from typing import Any

import httpx

from ._exports import public
from ._retry import parse_retry_after

__all__ = [
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
    "CloudflareBlockedError",
    "ConflictError",
    "InternalServerError",
    "NotAcceptableError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "STATUS_ERRORS",
    "add_secret",
    "StreamDecodeError",
    "StreamInterruptedError",
    "StreamServerError",
    "UnprocessableEntityError",
    "error_from_event",
    "extract_message",
    "is_quota_message",
    "make_status_error",
    "next_quota_reset",
    "redact",
    "status_error_class",
]


class AmigoChatError(Exception):
    """Root of everything the SDK raises: `except AmigoChatError` catches them all."""


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
        return _ray_id(page, self.response.headers.get("cf-ray", ""))


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
        self.resets_at = _quota_reset(response)


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
        shown = f"{message}: {_truncate(text, 500)!r}" if text else message
        super().__init__(shown, request=request)
        self.data = text


class APIStreamError(APIError):
    """
    Raised when something goes wrong after a stream started delivering. It carries what was
    received: `text` (all content so far), `chunks` (the chunk objects) and `partial` (an
    assembled partial completion, when the caller sets one).
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


_SECRETS = (
    (re.compile(r"\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*", re.I), r"\1 [REDACTED]"),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"), "sk-[REDACTED]"),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), "[REDACTED]"),
    (re.compile(r"\b(api[_-]?key|access[_-]?token)=[^&\s\"']+", re.I), r"\1=[REDACTED]"),
)
_QUOTA = re.compile(r"balance\s+is\s+not\s+enough|wait\s+until\s+12(:00)?\s*UTC", re.I)
# Server text is untrusted: every pattern below runs in linear time. `[^<>]` stops a scan at the
# next tag, and an unclosed script or comment swallows the rest (`\Z`) instead of being rescanned.
_HTML_TAG = re.compile(r"<(!doctype html|html|head|body|title)\b", re.I)
_TITLE = re.compile(r"<title[^<>]*>([^<]*)", re.I)
_INVISIBLE = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)", re.I | re.S)
_TAG = re.compile(r"<[^<>]*>")
_CLOUDFLARE_BLOCK = re.compile(
    r"you have been blocked|attention required! \| cloudflare"
    r"|used cloudflare to restrict access|/cdn-cgi/challenge-platform/"
    r"|<title>\s*just a moment\.\.\.\s*</title>",
    re.I,
)
_RAY_IN_PAGE = re.compile(r"Ray ID:\s*(?:<[^<>]*>\s*)*([0-9a-f]{8,32})\b", re.I)
_RAY_HEADER = re.compile(r"[0-9A-Za-z]{1,32}")


# The API keys of the clients made in this process: a key of any shape is hidden too.
_KNOWN_SECRETS: set[str] = set()


def add_secret(secret: str) -> None:
    """Make `redact` hide `secret` wherever it appears, whatever its shape."""
    if len(secret) >= 4:
        _KNOWN_SECRETS.add(secret)


def redact(text: str) -> str:
    """
    Replace anything that looks like a credential (`Bearer …`, `sk-…`, a JWT) and every API
    key a client was given with a mark.
    """
    for secret in _KNOWN_SECRETS:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str, limit: int) -> str:
    # Redact before cutting, so a token split by the cut cannot escape the pattern.
    return _truncate(" ".join(redact(text).split()), limit)


def is_quota_message(text: str) -> bool:
    """Return whether `text` is AmigoChat's daily quota message ("balance is not enough …")."""
    return _QUOTA.search(text) is not None


def next_quota_reset(now: dt.datetime) -> dt.datetime:
    """Return the first 12:00 UTC strictly after `now` (a naive `now` is taken as UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    now = now.astimezone(dt.timezone.utc)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon > now else noon + dt.timedelta(days=1)


def _json_message(value: object, depth: int = 0) -> str:
    # Known shapes, most specific first: OpenAI {"error": {...}}, NestJS {"message": str | list,
    # "error", "statusCode"}, {"error": "text"}, FastAPI {"detail": str | [{"loc", "msg"}]}.
    if depth > 8 or value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(m for m in (_json_message(v, depth + 1) for v in value) if m)
    if not isinstance(value, dict):
        return json.dumps(value)
    error = value.get("error")
    if isinstance(error, dict) and (nested := _json_message(error, depth + 1)):
        return nested
    if isinstance(value.get("msg"), str) and isinstance(value.get("loc"), list):
        return f"{'.'.join(map(str, value['loc']))}: {value['msg']}"
    for key in ("message", "error", "detail", "msg", "error_description", "type", "code"):
        if key in value and (found := _json_message(value[key], depth + 1)):
            return found
    return ""


def _ray_id(page: str, cf_ray_header: str = "") -> str | None:
    # The header ("8d2b5c4a1f2e3d4c-FRA") is the surest source; block pages also print the id.
    found = _RAY_HEADER.match(cf_ray_header) or _RAY_IN_PAGE.search(page)
    return found.group(found.lastindex or 0) if found else None


def _cloudflare_message(ray_id: str | None) -> str:
    suffix = f" (Ray ID {ray_id})" if ray_id else ""
    return f"Blocked by Cloudflare bot protection{suffix}"


def _html_message(page: str) -> str:
    if _CLOUDFLARE_BLOCK.search(page):
        return _cloudflare_message(_ray_id(page))
    title = _TITLE.search(page)
    if title and (summary := _one_line(html.unescape(title.group(1)), 200)):
        return summary
    text = _one_line(html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", page))), 200)
    return text or "HTML page without text"


def _is_html(text: str, content_type: str | None) -> bool:
    if "html" in (content_type or "").lower():
        return True
    # Comments may come first (Cloudflare's pages open with IE conditionals): look a bit ahead.
    return text.startswith("<") and _HTML_TAG.search(text, 0, 1024) is not None


def extract_message(body: bytes, content_type: str | None) -> tuple[str, object]:
    """
    Return a one-line, redacted message from an error body, and the parsed body.

    The parsed body is the JSON value when the body is JSON, else the text, else `None` (empty
    body, for which the message is `""`). HTML is summarised by its title, never quoted whole.
    """
    text = body.decode("utf-8", "replace").lstrip("\ufeff").strip()
    if not text:
        return "", None
    if text[0] in '{["' or "json" in (content_type or "").lower():
        try:
            parsed: object = json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            message = _json_message(parsed) or json.dumps(parsed, ensure_ascii=False)
            return _one_line(message, 500), parsed
    if _is_html(text, content_type):
        return _html_message(text), text
    return _one_line(text, 500), text


def error_from_event(error: object) -> tuple[str, str | int | None]:
    """
    Return the message and code of an in-stream error: `{"error": {...}}`, `{"error": "text"}`,
    `{"message": ...}` or a bare string.
    """
    message = _one_line(_json_message(error), 500) or "unknown error"
    sources = [error.get("error"), error] if isinstance(error, dict) else []
    codes = [s.get("code", s.get("statusCode")) for s in sources if isinstance(s, dict)]
    code = next((c for c in codes if isinstance(c, (str, int)) and not isinstance(c, bool)), None)
    return message, code


def _quota_reset(response: httpx.Response) -> dt.datetime:
    # The server's Date header, not the local clock, says which day's noon comes next.
    try:
        now = email.utils.parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError, IndexError, OverflowError):
        now = dt.datetime.now(dt.timezone.utc)
    return next_quota_reset(now)


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
        message += f" (resets {_quota_reset(response):%Y-%m-%d %H:%M} UTC)"
        return QuotaExceededError(prefix + message, response=response, body=parsed)
    if isinstance(parsed, str) and _is_html(parsed, content_type):
        from_cloudflare = "cf-ray" in headers or "cloudflare" in headers.get("server", "").lower()
        if _CLOUDFLARE_BLOCK.search(parsed) or (status == 403 and from_cloudflare):
            message = _cloudflare_message(_ray_id(parsed, headers.get("cf-ray", "")))
            return CloudflareBlockedError(prefix + message, response=response, body=parsed)
    return status_error_class(status)(prefix + message, response=response, body=parsed)


public(globals(), __all__)
