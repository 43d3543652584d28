"""
The retry rule: whether to try a request again, and how long to wait first.

Rule: this module is pure. It never sleeps, never reads a clock and never touches the global
random generator; callers pass `now` (seconds since the epoch) and a `random.Random`, so the same
inputs always give the same decision. The request flow applies these decisions; the total time
budget (`deadline`) is the flow's to enforce, with `fits_deadline`.

The rule, after openai-python's `BaseClient` and stamina's pure backoff:

1. Never retry the daily quota error ("balance is not enough ... wait until 12 UTC"): it lasts
   until 12:00 UTC, far longer than any backoff.
2. An `x-should-retry: true` or `false` header decides, when present. Otherwise retry 408, 409,
   429 and 5xx, and never any other status. After an exception, retry `httpx.TransportError`s
   (connect, read, write, pool, remote protocol and timeout errors) and nothing else; not even
   `UnsupportedProtocol` or `LocalProtocolError`, which fail the same way every time.
3. Never retry once `retries_done >= policy.max_retries`.
4. Wait as the server asks, `retry-after-ms` first, then `retry-after` (seconds or an HTTP date);
   `0` means at once. A wait longer than `policy.max_retry_after` is not slept on: no retry, and
   the caller raises the status error (`RateLimitError` for a 429) with `.retry_after` set, so
   the user decides whether to wait that long.
5. Otherwise back off exponentially: `min(initial_delay * 2**retries_done, max_delay)`, less a
   random part of up to `jitter` (25%) of it, as openai-python does.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import math
import random
from collections.abc import Mapping

import httpx

from ._constants import DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_AFTER

__all__ = [
    "RetryDecision",
    "RetryPolicy",
    "backoff_delay",
    "decide_after_exception",
    "decide_after_hook",
    "decide_after_status",
    "fits_deadline",
    "parse_retry_after",
    "parse_should_retry",
    "should_retry_status",
]

# Statuses worth a second try: timeout, lock conflict, rate limit; 5xx are added by range.
_RETRY_STATUSES = frozenset({408, 409, 429})

# Transport errors that repeat identically on every attempt (a bad URL scheme, a request the
# client itself cannot encode), so retrying them only wastes the user's time.
_NEVER_RETRIED: tuple[type[httpx.TransportError], ...] = (
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """
    How many times to retry and how long to wait; see the module docstring for the rule.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.initial_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must be >= 0")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, got {self.jitter}")


@dataclasses.dataclass(frozen=True)
class RetryDecision:
    """
    Whether to retry, after how many seconds, and why (a short phrase for debug logs).
    """

    retry: bool
    delay: float
    reason: str


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # `httpx.Headers.get` ignores case, a plain dict does not: look the name up both ways.
    value = headers.get(name)
    if value is not None:
        return value
    for key, candidate in headers.items():
        if key.lower() == name:
            return candidate
    return None


def _seconds(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    # "nan", "inf" and negative waits parse as floats but are not waits.
    return value if math.isfinite(value) and value >= 0 else None


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """
    Return the wait in seconds the server asked for, or `None` if it asked for none we can read.

    `retry-after-ms` (milliseconds, may be fractional) wins over `retry-after`, which is either
    seconds or an HTTP date; a date in the past means `0`. `now` is the current Unix time.
    """
    millis = _header(headers, "retry-after-ms")
    if millis is not None:
        value = _seconds(millis)
        if value is not None:
            return value / 1000
    text = _header(headers, "retry-after")
    if text is None:
        return None
    value = _seconds(text)
    if value is not None:
        return value
    try:
        date = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if date.tzinfo is None:
        # A "-0000" zone parses naive; HTTP dates are always GMT.
        date = date.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, date.timestamp() - now)


def parse_should_retry(headers: Mapping[str, str]) -> bool | None:
    """
    Return the server's `x-should-retry` verdict, or `None` when absent or not `true`/`false`.
    """
    value = _header(headers, "x-should-retry")
    if value is None:
        return None
    return {"true": True, "false": False}.get(value.strip().lower())


def should_retry_status(status: int, headers: Mapping[str, str]) -> bool:
    """
    Return whether a response with this status is worth retrying, ignoring the retry budget.
    """
    verdict = parse_should_retry(headers)
    if verdict is not None:
        return verdict
    return status in _RETRY_STATUSES or 500 <= status <= 599


def backoff_delay(policy: RetryPolicy, retries_done: int, rng: random.Random) -> float:
    """
    Return the exponential backoff before retry number `retries_done + 1`, with jitter.
    """
    # Clamp the exponent so a huge count cannot overflow the float; the cap applies anyway.
    exponent = min(max(retries_done, 0), 64)
    base = min(policy.initial_delay * 2.0**exponent, policy.max_delay)
    return base * (1 - policy.jitter * rng.random())


def fits_deadline(delay: float, now: float, deadline: float | None) -> bool:
    """
    Return whether sleeping `delay` seconds from `now` still leaves time before `deadline`.
    """
    return deadline is None or now + delay < deadline


def decide_after_status(
    policy: RetryPolicy,
    retries_done: int,
    status: int,
    headers: Mapping[str, str],
    body_is_quota: bool,
    now: float,
    rng: random.Random,
) -> RetryDecision:
    """
    Decide whether to retry after an error response (see the module docstring for the rule).
    """
    if body_is_quota:
        return RetryDecision(False, 0.0, f"{status}, daily quota exceeded (resets 12:00 UTC)")
    if not should_retry_status(status, headers):
        why = "x-should-retry: false" if parse_should_retry(headers) is False else "not retryable"
        return RetryDecision(False, 0.0, f"{status}, {why}")
    if retries_done >= policy.max_retries:
        return RetryDecision(False, 0.0, f"{status}, retries exhausted ({retries_done})")
    attempt = f"retry {retries_done + 1}/{policy.max_retries}"
    wait = parse_retry_after(headers, now)
    if wait is not None:
        if wait > policy.max_retry_after:
            limit = f"{policy.max_retry_after:g}s"
            return RetryDecision(False, 0.0, f"{status}, Retry-After {wait:g}s exceeds {limit}")
        return RetryDecision(True, wait, f"{status}, Retry-After {wait:g}s, {attempt}")
    delay = backoff_delay(policy, retries_done, rng)
    return RetryDecision(True, delay, f"{status}, backoff {delay:.2f}s, {attempt}")


def decide_after_hook(
    policy: RetryPolicy, retries_done: int, delay: float | None, rng: random.Random
) -> RetryDecision:
    """
    Decide whether to grant the retry a hook asked for (`_hooks.Retry`): within
    `max_retries`, after the hook's `delay` or else the usual backoff.
    """
    if retries_done >= policy.max_retries:
        return RetryDecision(False, 0.0, f"a hook asked, retries exhausted ({retries_done})")
    wait = backoff_delay(policy, retries_done, rng) if delay is None else max(delay, 0.0)
    attempt = f"retry {retries_done + 1}/{policy.max_retries}"
    return RetryDecision(True, wait, f"a hook asked, wait {wait:.2f}s, {attempt}")


def decide_after_exception(
    policy: RetryPolicy, retries_done: int, exc: BaseException, rng: random.Random
) -> RetryDecision:
    """
    Decide whether to retry after the transport raised `exc` before a response arrived.
    """
    name = type(exc).__name__
    if not isinstance(exc, httpx.TransportError) or isinstance(exc, _NEVER_RETRIED):
        return RetryDecision(False, 0.0, f"{name}, not retryable")
    if retries_done >= policy.max_retries:
        return RetryDecision(False, 0.0, f"{name}, retries exhausted ({retries_done})")
    delay = backoff_delay(policy, retries_done, rng)
    attempt = f"retry {retries_done + 1}/{policy.max_retries}"
    return RetryDecision(True, delay, f"{name}, backoff {delay:.2f}s, {attempt}")
