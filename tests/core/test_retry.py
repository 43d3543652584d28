"""
Tests for the pure retry rule: every decision is a function of its inputs, so none sleeps.
"""

from __future__ import annotations

import email.utils
import random

import httpx
import pytest
from hypothesis import given, strategies as st

from amigochat_sdk._constants import DEFAULT_MAX_RETRIES
from amigochat_sdk._retry import (
    RetryDecision,
    RetryPolicy,
    backoff_delay,
    decide_after_exception,
    decide_after_status,
    fits_deadline,
    parse_retry_after,
    parse_should_retry,
    should_retry_status,
)

NOW = 1_700_000_000.0  # a fixed "current time", 2023-11-14T22:13:20Z
POLICY = RetryPolicy()


def decide(
    status: int,
    headers: dict[str, str] | None = None,
    *,
    retries_done: int = 0,
    quota: bool = False,
    policy: RetryPolicy = POLICY,
) -> RetryDecision:
    rng = random.Random(0)
    return decide_after_status(policy, retries_done, status, headers or {}, quota, NOW, rng)


def http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


# --- policy and backoff -----------------------------------------------------------------------


def test_defaults_match_openai() -> None:
    assert DEFAULT_MAX_RETRIES == 2
    assert POLICY == RetryPolicy(2, 0.5, 8.0, 0.25, 60.0)


@pytest.mark.parametrize(
    "kwargs",
    [{"max_retries": -1}, {"initial_delay": -0.1}, {"jitter": 1.5}, {"max_retry_after": -1}],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_backoff_without_jitter_doubles_and_caps() -> None:
    policy = RetryPolicy(jitter=0.0)
    rng = random.Random(0)
    delays = [backoff_delay(policy, n, rng) for n in range(7)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_backoff_seeded_sequence_is_reproducible() -> None:
    first = [backoff_delay(POLICY, n, random.Random(0)) for n in range(6)]
    again = [backoff_delay(POLICY, n, random.Random(0)) for n in range(6)]
    assert first == again
    # random.Random(0).random() == 0.8444218515250481, so every delay loses 21.1%.
    factor = 1 - 0.25 * 0.8444218515250481
    assert first == pytest.approx([b * factor for b in (0.5, 1, 2, 4, 8, 8)])


def test_backoff_survives_huge_and_negative_counts() -> None:
    policy = RetryPolicy(jitter=0.0)
    assert backoff_delay(policy, 10_000, random.Random(0)) == 8.0
    assert backoff_delay(policy, -3, random.Random(0)) == 0.5


@given(
    retries_done=st.integers(min_value=0, max_value=2000),
    seed=st.integers(),
    jitter=st.floats(min_value=0, max_value=1),
)
def test_backoff_jitter_bounds(retries_done: int, seed: int, jitter: float) -> None:
    policy = RetryPolicy(jitter=jitter)
    base = min(0.5 * 2.0 ** min(retries_done, 64), 8.0)
    delay = backoff_delay(policy, retries_done, random.Random(seed))
    assert base * (1 - jitter) - 1e-9 <= delay <= base


# --- Retry-After ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": " 2.5 "}, 2.5),
        ({"retry-after": "0"}, 0.0),
        ({"Retry-After": "7"}, 7.0),  # a plain dict, mixed case
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "12.5"}, 0.0125),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # ms wins
        ({"Retry-After-Ms": "0", "Retry-After": "1"}, 0.0),  # as in the Azure 429 cassette
        ({"retry-after-ms": "soon", "retry-after": "4"}, 4.0),  # bad ms falls through
        ({"retry-after": http_date(NOW + 30)}, 30.0),
        ({"retry-after": http_date(NOW - 30)}, 0.0),  # a date in the past: at once
        ({"retry-after": "Tue, 14 Nov 2023 22:13:50 -0000"}, 30.0),  # "-0000" parses naive
        ({}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-5"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "3, 4"}, None),
        ({"retry-after-ms": "-1"}, None),
        ({"retry-after": "Mon, 99 Foo 2023 25:61:00 GMT"}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, NOW) == (
        None if expected is None else pytest.approx(expected)
    )


def test_parse_retry_after_accepts_httpx_headers() -> None:
    headers = httpx.Headers([("Retry-After-MS", "100"), ("RETRY-AFTER", "9")])
    assert parse_retry_after(headers, NOW) == pytest.approx(0.1)


@given(st.text(max_size=40))
def test_parse_retry_after_never_raises(value: str) -> None:
    for name in ("retry-after", "retry-after-ms"):
        result = parse_retry_after({name: value}, NOW)
        assert result is None or result >= 0


# --- x-should-retry and the status rule -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE ", True), ("false", False), ("False", False), ("yes", None)],
)
def test_parse_should_retry(value: str, expected: bool | None) -> None:
    assert parse_should_retry({"x-should-retry": value}) is expected
    assert parse_should_retry({}) is None


@pytest.mark.parametrize("status", [408, 409, 429, 500, 501, 502, 503, 504, 520, 599])
def test_retryable_statuses(status: int) -> None:
    assert should_retry_status(status, {})
    decision = decide(status)
    assert decision.retry
    assert decision.reason.startswith(f"{status}, backoff")


@pytest.mark.parametrize("status", [200, 201, 400, 401, 403, 404, 406, 422, 600])
def test_other_statuses_are_not_retried(status: int) -> None:
    assert not should_retry_status(status, {})
    assert decide(status) == RetryDecision(False, 0.0, f"{status}, not retryable")


def test_x_should_retry_true_overrides_a_400() -> None:
    assert decide(400, {"x-should-retry": "true"}).retry


def test_x_should_retry_false_overrides_a_503() -> None:
    decision = decide(503, {"x-should-retry": "false"})
    assert not decision.retry
    assert decision.reason == "503, x-should-retry: false"


def test_x_should_retry_does_not_extend_the_budget() -> None:
    decision = decide(400, {"x-should-retry": "true"}, retries_done=2)
    assert not decision.retry
    assert "exhausted" in decision.reason


@pytest.mark.parametrize("status", [400, 403, 429, 500])
def test_quota_is_never_retried(status: int) -> None:
    decision = decide(status, {"x-should-retry": "true", "retry-after": "1"}, quota=True)
    assert not decision.retry
    assert "quota" in decision.reason


def test_budget_exhausted() -> None:
    assert decide(503, retries_done=1).retry
    assert not decide(503, retries_done=2).retry
    assert not decide(429, retries_done=0, policy=RetryPolicy(max_retries=0)).retry


def test_backoff_grows_with_retries_done() -> None:
    policy = RetryPolicy(max_retries=5, jitter=0.0)
    delays = [decide(502, retries_done=n, policy=policy).delay for n in range(5)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0]


# --- Retry-After in decisions -----------------------------------------------------------------


def test_retry_after_seconds_is_used_without_jitter() -> None:
    decision = decide(429, {"retry-after": "3"})
    assert decision == RetryDecision(True, 3.0, "429, Retry-After 3s, retry 1/2")


def test_retry_after_zero_retries_at_once() -> None:
    assert decide(503, {"retry-after": "0"}).delay == 0.0


def test_retry_after_ms_wins() -> None:
    assert decide(429, {"retry-after": "30", "retry-after-ms": "200"}).delay == pytest.approx(0.2)


def test_retry_after_http_date() -> None:
    assert decide(429, {"retry-after": http_date(NOW + 5)}).delay == pytest.approx(5.0)
    assert decide(429, {"retry-after": http_date(NOW - 5)}).delay == 0.0


def test_retry_after_at_the_limit_is_slept_on() -> None:
    assert decide(429, {"retry-after": "60"}) == RetryDecision(
        True, 60.0, "429, Retry-After 60s, retry 1/2"
    )


def test_retry_after_over_the_limit_is_not_retried() -> None:
    decision = decide(429, {"retry-after": "61"})
    assert decision == RetryDecision(False, 0.0, "429, Retry-After 61s exceeds 60s")
    assert not decide(429, {"retry-after": "1"}, policy=RetryPolicy(max_retry_after=0.5)).retry


def test_invalid_retry_after_falls_back_to_backoff() -> None:
    decision = decide(429, {"retry-after": "whenever"})
    assert decision.retry
    assert decision.delay == backoff_delay(POLICY, 0, random.Random(0))


# --- exceptions -------------------------------------------------------------------------------

REQUEST = httpx.Request("POST", "https://api.amigochat.io/v1/chat/completions")


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused", request=REQUEST),
        httpx.ConnectTimeout("slow", request=REQUEST),
        httpx.ReadTimeout("slow", request=REQUEST),
        httpx.WriteTimeout("slow", request=REQUEST),
        httpx.PoolTimeout("busy", request=REQUEST),
        httpx.ReadError("reset", request=REQUEST),
        httpx.WriteError("broken pipe", request=REQUEST),
        httpx.RemoteProtocolError("peer closed", request=REQUEST),
        httpx.ProxyError("proxy down", request=REQUEST),
    ],
)
def test_transport_errors_are_retried(exc: httpx.TransportError) -> None:
    decision = decide_after_exception(POLICY, 0, exc, random.Random(0))
    assert decision.retry
    assert decision.delay == backoff_delay(POLICY, 0, random.Random(0))
    assert decision.reason.startswith(type(exc).__name__)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("boom"),
        KeyboardInterrupt(),
        httpx.UnsupportedProtocol("ftp://", request=REQUEST),
        httpx.LocalProtocolError("bad header", request=REQUEST),
        httpx.DecodingError("bad gzip", request=REQUEST),
    ],
)
def test_other_exceptions_are_not_retried(exc: BaseException) -> None:
    decision = decide_after_exception(POLICY, 0, exc, random.Random(0))
    assert decision == RetryDecision(False, 0.0, f"{type(exc).__name__}, not retryable")


def test_exception_budget_exhausted() -> None:
    exc = httpx.ConnectError("refused", request=REQUEST)
    assert decide_after_exception(POLICY, 1, exc, random.Random(0)).retry
    assert not decide_after_exception(POLICY, 2, exc, random.Random(0)).retry


# --- deadline ---------------------------------------------------------------------------------


def test_fits_deadline() -> None:
    assert fits_deadline(5.0, NOW, None)
    assert fits_deadline(5.0, NOW, NOW + 6)
    assert not fits_deadline(5.0, NOW, NOW + 5)  # no time left for the request itself
    assert not fits_deadline(0.0, NOW, NOW - 1)
