"""
The request flow: everything that decides how a call goes, and no I/O.

Rule: this module never sends, reads or sleeps. A *flow* is a generator that yields commands,
and a driver (`_drivers.py`) carries each one out and sends the reply back:

- `Send(request)`: reply with the response (headers read, body not);
- `RECEIVE`: reply with the next bytes of the current body, `b""` at its end;
- `Receive(timeout)`: as `RECEIVE`, waiting at most `timeout` seconds, else throw
  `httpx.ReadTimeout` into the flow;
- `Sleep(seconds)`, `Close(response)`: do it, reply `None`;
- `RunHook(function, args)`: call a user's hook (awaiting it on the async client), reply with
  what it returns;
- `RunTools(calls)`: run the tool calls (concurrently where the client can), reply with their
  `_tools.ToolOutcome`s;
- `Ready(response, state, info)`: a stream is open; hand it to the user, reply `None`;
- a `HandOver` (a list): hand its values to the user, then, when the user asks for more,
  reply with the next bytes of the body, as for `RECEIVE` (one step per read on the hot path);
- a `LastHandOver` (a tuple): hand its values to the user, reply `None`.

A transport error comes back through `.throw()`, and the flow's return value is the call's
result. A driver raises on anything else. The same flow therefore runs under the sync and the
async driver, and the retry loop below is the only one in the SDK. Time is the flow's to
decide: it gives each read the most it may wait (`Receive`), from its own clock, the deadline
and its timeouts; a driver never waits longer.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from ._constants import DEFAULT_MAX_EVENT_SIZE, MAX_BODY_SIZE, NOT_GIVEN, NotGiven
from ._exceptions import (
    APIConnectionError,
    APIDecodeError,
    APITimeoutError,
    make_status_error,
)
from ._hooks import Attempt, Hook, Retry, installed
from ._messages import is_quota_message, redact
from ._meta import ResponseInfo, request_id_of
from ._retry import (
    RetryPolicy,
    decide_after_exception,
    decide_after_hook,
    decide_after_status,
    fits_deadline,
)

__all__ = [
    "RECEIVE",
    "Attempts",
    "Call",
    "Close",
    "Config",
    "Done",
    "Flow",
    "HandOver",
    "LastHandOver",
    "Ready",
    "Receive",
    "RunHook",
    "RunTools",
    "Send",
    "Sleep",
    "read_body",
    "retrying",
    "transport_error",
]

log = logging.getLogger("amigochat_sdk")

T = TypeVar("T")
Flow = Generator[Any, Any, T]


class Send:
    """Command: send `request` and reply with the response (headers read, body not)."""

    __slots__ = ("request",)

    def __init__(self, request: httpx.Request) -> None:
        self.request = request


class Sleep:
    """Command: wait `seconds`, then reply `None`."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Close:
    """Command: close `response` (give its connection back), then reply `None`."""

    __slots__ = ("response",)

    def __init__(self, response: httpx.Response) -> None:
        self.response = response


class RunHook:
    """Command: call `function(*args)` (a hook's method), awaiting it if it is a coroutine."""

    __slots__ = ("args", "function")

    def __init__(self, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.function = function
        self.args = args


@dataclass(frozen=True)
class RunTools:
    """Command: run `calls` (`_tools.BoundCall`s) and reply with their `ToolOutcome`s."""

    calls: Sequence[Any]


class _Receive:
    __slots__ = ()

    def __repr__(self) -> str:
        return "RECEIVE"


#: Command: reply with the next bytes of the current response body, `b""` at its end, waiting
#: no longer than the response's read timeout.
RECEIVE = _Receive()


# The two hand-overs are the builtin types themselves, not subclasses: the chat flow builds
# one per read, and a plain list is the cheapest thing to build and to test with `type() is`.
#: Hand-over, then read: values for the user; the reply is the body's next bytes.
HandOver: type[list[Any]] = list
#: Hand-over, reply nothing: the last values for the user; the reply is `None`.
LastHandOver: type[tuple[Any, ...]] = tuple


class Receive:
    """
    Command: as `RECEIVE`, but wait at most `timeout` seconds; past that, throw
    `httpx.ReadTimeout` into the flow (the response cannot be read on after that).
    """

    __slots__ = ("timeout",)

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Receive({self.timeout:.3f})"


class Ready:
    """
    For the user: a stream is open; `response` is its response, `state` its accumulator,
    `info` what the call took to open it.
    """

    __slots__ = ("info", "response", "state")

    def __init__(self, response: httpx.Response, state: Any, info: ResponseInfo) -> None:
        self.response = response
        self.state = state
        self.info = info


class Done:
    """For the user: the flow finished with `value`."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


@dataclass(frozen=True)
class Config:
    """
    A client's settings, resolved once. Requests read it; nothing writes it.
    """

    base_url: str
    timeout: httpx.Timeout
    policy: RetryPolicy
    headers: Mapping[str, str] = field(repr=False)  # holds the API key
    device_uuid: str
    first_chunk_timeout: float | None = None
    #: The longest wait between two chunks; `NOT_GIVEN` means the read timeout.
    stream_idle_timeout: float | NotGiven | None = NOT_GIVEN
    deadline: float | None = None
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    #: The client's hooks per attempt (`_hooks.Hook`).
    hooks: tuple[Hook, ...] = ()
    #: Keeps the key registered for redaction while anything (a client, a stream) uses it.
    secret: object = field(default=None, repr=False, compare=False)
    # Built once, not per request: normalising headers and parsing URLs is most of what a
    # small request costs on top of httpx.
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def base_headers(self, accept: str, has_body: bool, anonymous: bool) -> httpx.Headers:
        """
        The headers of a first attempt: the client's (API key, device) unless `anonymous`,
        which sends only the user agent, for other hosts.
        """
        key = (accept, has_body, anonymous)
        headers = self._cache.get(key)
        if headers is None:
            if anonymous:
                raw = {"user-agent": self.headers.get("user-agent", "")}
            else:
                raw = {**self.headers, "x-device-uuid": self.device_uuid}
            raw["accept"] = accept
            if has_body:
                raw["content-type"] = "application/json"
            headers = self._cache[key] = httpx.Headers(raw)
        return headers

    def url(self, url: str) -> httpx.URL | str:
        """`url` parsed once, for the API's own endpoints."""
        if not url.startswith(self.base_url):
            return url
        parsed = self._cache.get(url)
        if parsed is None:
            parsed = self._cache[url] = httpx.URL(url)
        return parsed


@dataclass(frozen=True)
class Call:
    """
    One API call as the user asked for it: what to send, and the per-call overrides.
    """

    method: str
    url: str
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: httpx.Timeout | None = None
    accept: str = "application/json"
    #: Per-call `first_chunk_timeout` and `stream_idle_timeout`; `NOT_GIVEN`: the client's.
    first_chunk_timeout: float | NotGiven | None = NOT_GIVEN
    stream_idle_timeout: float | NotGiven | None = NOT_GIVEN
    #: Send none of the client's headers (API key, device) but the user agent: for other hosts.
    anonymous: bool = False


class Attempts:
    """
    The attempts of one call: builds each request and applies the retry rule and the deadline.
    """

    def __init__(self, config: Config, call: Call) -> None:
        self.config = config
        self.call = call
        self.retries = 0
        self.started = config.clock()
        budget = config.deadline
        self.deadline_at = None if budget is None else self.started + budget
        self.sent_at = self.started
        self.last_response: httpx.Response | None = None
        first = call.first_chunk_timeout
        #: The longest wait for a stream's first chunk, from sending; `None`: no limit.
        self.first_chunk_timeout = config.first_chunk_timeout if first is NOT_GIVEN else first
        timeout = call.timeout or config.timeout
        idle = call.stream_idle_timeout
        if idle is NOT_GIVEN:
            idle = config.stream_idle_timeout
        #: The longest wait between two chunks of a stream; `None`: no limit.
        self.stream_idle_timeout = timeout.read if isinstance(idle, NotGiven) else idle
        #: The read timeout of the current attempt's body (`None`: none), as httpx applies it.
        self.read_timeout: float | None = None
        self._timeouts: dict[str, float | None] = {}
        #: The client's hooks, then the installed ones (an instrumentor's); mostly none.
        self.hooks = config.hooks + installed()
        self.current: httpx.Request | None = None

    def request(self) -> httpx.Request:
        """
        The request for the next attempt: a fresh `x-device-uuid` on every retry, as the seed
        did, and timeouts cut to whatever remains of the deadline.
        """
        config, call = self.config, self.call
        timeout = (call.timeout or config.timeout).as_dict()
        self.sent_at = now = config.clock()
        if self.deadline_at is not None:
            left = max(self.deadline_at - now, 0.001)
            timeout = {k: left if v is None else min(v, left) for k, v in timeout.items()}
        self.read_timeout = timeout["read"]
        cap = self.first_chunk_timeout
        if cap is not None and call.accept == "text/event-stream":
            # The headers' wait counts towards the first chunk; `received` lifts the cap.
            read = timeout["read"]
            timeout["read"] = cap if read is None else min(read, cap)
        self._timeouts = timeout
        headers = config.base_headers(call.accept, call.body is not None, call.anonymous)
        if (self.retries and not call.anonymous) or call.headers:
            headers = headers.copy()
            if self.retries and not call.anonymous:
                headers["x-device-uuid"] = str(uuid.uuid4())
            headers.update(call.headers)
        request = httpx.Request(
            call.method,
            config.url(call.url),
            headers=headers,
            content=call.body,
            extensions={"timeout": timeout},
        )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s (attempt %d)", call.method, call.url, self.retries + 1)
        self.current = request
        return request

    def log_response(self, response: httpx.Response) -> None:
        """One `info` line per attempt that got a response."""
        call, elapsed = self.call, self.config.clock() - self.sent_at
        log.info(
            '%s %s "%s %d" after %.3fs (attempt %d)',
            call.method,
            call.url,
            response.http_version,
            response.status_code,
            elapsed,
            self.retries + 1,
        )

    def run_hooks(self, method: str, subject: Any) -> Flow[Retry | None]:
        """
        Call `method` of every hook on `subject` for the current attempt; the first `Retry`
        one asks for, if any.
        """
        assert self.current is not None  # hooks run around a sent request
        attempt = Attempt(self.retries + 1, self.current, self.config.clock() - self.started)
        asked: Retry | None = None
        for hook in self.hooks:
            verdict = yield RunHook(getattr(hook, method), (subject, attempt))
            if asked is None and isinstance(verdict, Retry):
                asked = verdict
        return asked

    def after_hook(self, asked: Retry) -> float | None:
        """The delay before the retry a hook asked for, or `None` if it is not granted."""
        config = self.config
        decision = decide_after_hook(config.policy, self.retries, asked.delay, config.rng)
        if decision.retry and fits_deadline(decision.delay, config.clock(), self.deadline_at):
            return self._retry(decision.delay, decision.reason)
        log.debug("not retrying: %s", decision.reason)
        return None

    def received(self, response: httpx.Response) -> None:
        """
        The headers came: the body's reads get the plain read timeout (httpcore reads it from
        the request when the body starts); shorter limits are each read's `Receive`.
        """
        self.last_response = response
        self._timeouts["read"] = self.read_timeout

    def receive(self, request: httpx.Request | None) -> _Receive | Receive:
        """
        The command for the next read of a body: `Receive` cut to what is left of the
        deadline, `RECEIVE` without one. Raises `httpx.ReadTimeout` once it has passed.
        """
        if self.deadline_at is None:
            return RECEIVE
        left = self.deadline_at - self.config.clock()
        if left <= 0:
            raise httpx.ReadTimeout("The call's total deadline expired", request=request)
        return Receive(left)

    def expired(self, exc: httpx.ReadTimeout, request: httpx.Request) -> httpx.ReadTimeout:
        """A read cut by `receive` timed out: say so if it was the deadline that ran out."""
        assert self.deadline_at is not None  # `receive` cuts reads only for the deadline
        if self.config.clock() < self.deadline_at - 0.01:  # the read timeout came first
            return exc
        return httpx.ReadTimeout("The call's total deadline expired", request=request)

    def info(self) -> ResponseInfo:
        """What the call took so far, and the response that answered it."""
        response = self.last_response
        assert response is not None  # set by `retrying` before a flow can succeed
        return ResponseInfo(
            status_code=response.status_code,
            headers=response.headers,
            request_id=request_id_of(response.headers),
            retries=self.retries,
            elapsed=self.config.clock() - self.started,
            http_version=response.http_version,
            url=str(response.request.url),
            http_response=response,
        )

    def after_exception(self, exc: httpx.TransportError) -> float:
        """
        The delay before retrying after a transport error, or raise the mapped SDK error.
        """
        decision = decide_after_exception(self.config.policy, self.retries, exc, self.config.rng)
        if decision.retry and fits_deadline(decision.delay, self.config.clock(), self.deadline_at):
            return self._retry(decision.delay, decision.reason)
        raise transport_error(exc) from exc

    def after_status(self, response: httpx.Response, body: bytes) -> float:
        """
        The delay before retrying after an error status, or raise the mapped status error.
        """
        quota = is_quota_message(body.decode("utf-8", "replace"))
        decision = decide_after_status(
            self.config.policy,
            self.retries,
            response.status_code,
            response.headers,
            quota,
            time.time(),
            self.config.rng,
        )
        if decision.retry and fits_deadline(decision.delay, self.config.clock(), self.deadline_at):
            return self._retry(decision.delay, decision.reason)
        log.debug("giving up: %s", decision.reason)
        raise make_status_error(response, body)

    def _retry(self, delay: float, reason: str) -> float:
        self.retries += 1
        log.debug("retrying in %.2fs: %s", delay, reason)
        return delay


def transport_error(exc: httpx.RequestError) -> APIConnectionError | APIDecodeError:
    """
    The SDK error for an httpx error: `APITimeoutError` for timeouts, `APIDecodeError` for a
    body that cannot be decoded (corrupt gzip), else `APIConnectionError` (a redirect loop
    too). The message names the request, never its headers.
    """
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:
        request = None
    where = f" ({request.method} {request.url})" if request is not None else ""
    detail = redact(str(exc)) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out: {detail}{where}", request=request)
    if isinstance(exc, httpx.DecodingError):
        return APIDecodeError(f"The response body cannot be decoded: {detail}", request=request)
    return APIConnectionError(f"Connection error: {detail}{where}", request=request)


def read_body(
    response: httpx.Response, attempts: Attempts, limit: int = MAX_BODY_SIZE
) -> Flow[bytes]:
    """
    Read a whole body, refusing one larger than `limit` (decoded bytes), within the deadline.
    """
    parts: list[bytes] = []
    size = 0
    while True:
        command = attempts.receive(response.request)
        try:
            data = yield command
        except httpx.ReadTimeout as exc:
            if command is RECEIVE:
                raise
            raise attempts.expired(exc, response.request) from exc
        if not data:
            return b"".join(parts)
        size += len(data)
        if size > limit:
            yield Close(response)
            raise APIDecodeError(
                f"The response body is larger than {limit} bytes", request=response.request
            )
        parts.append(data)


def retrying(attempts: Attempts, consume: Callable[[httpx.Response], Flow[T]]) -> Flow[T]:
    """
    Send until a 2xx response is consumed, retrying as the rule allows.

    `consume` runs inside the retry scope: a transport error while it reads (a dropped
    connection, a stall before the first event) is retried, because nothing has reached the
    user yet. Whatever it returns is the flow's result. The hooks (if any) see each attempt's
    request before it is sent, and its response or error after.
    """
    hooks = attempts.hooks
    while True:
        request = attempts.request()
        if hooks:
            yield from attempts.run_hooks("before_request", request)
        try:
            response = yield Send(request)
        except httpx.TransportError as exc:
            yield Sleep((yield from _failed(attempts, exc)))
            continue
        except httpx.RequestError as exc:  # a redirect loop: sending again would loop again
            raise transport_error(exc) from exc
        attempts.received(response)
        if hooks:
            asked = yield from attempts.run_hooks("after_response", response)
            delay = None if asked is None else attempts.after_hook(asked)
            if delay is not None:
                yield Close(response)
                yield Sleep(delay)
                continue
        try:
            if log.isEnabledFor(logging.INFO):
                attempts.log_response(response)
            if 200 <= response.status_code < 300:
                return (yield from consume(response))
            body = yield from read_body(response, attempts)
        except httpx.TransportError as exc:
            yield Close(response)
            yield Sleep((yield from _failed(attempts, exc)))
            continue
        except httpx.RequestError as exc:  # a body that cannot be decoded: not retried
            yield Close(response)
            raise transport_error(exc) from exc
        yield Sleep(attempts.after_status(response, body))


def _failed(attempts: Attempts, exc: httpx.TransportError) -> Flow[float]:
    """The delay before retrying an attempt that failed with `exc`, or raise its SDK error."""
    if log.isEnabledFor(logging.INFO):
        call = attempts.call
        log.info("%s %s failed: %s (attempt %d)", call.method, call.url, exc, attempts.retries + 1)
    if attempts.hooks:
        asked = yield from attempts.run_hooks("after_error", transport_error(exc))
        delay = None if asked is None else attempts.after_hook(asked)
        if delay is not None:
            return delay
    return attempts.after_exception(exc)
